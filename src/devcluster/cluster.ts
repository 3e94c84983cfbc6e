/**
 * `sluice dev-cluster up | down | status`: a real Kubernetes control plane on 127.0.0.1.
 *
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler run as plain processes with
 * generated certificates and RBAC on; kwok plays the kubelet for fake nodes, so pods get
 * scheduled and turn Running/Ready, and Deployments report availability.
 * Every port is picked free at start, so two clusters run side by side.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { formatDuration, type Progress } from '../util/progress.ts';
import { ensureTools, type ToolPaths } from './build.ts';
import { DevClusterError } from './errors.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { createNodes, readyNodes } from './nodes.ts';
import { freePorts, portTaken, probe } from './net.ts';
import { clusterPaths, validateClusterName, type ClusterPaths } from './paths.ts';
import { generatePki, type Pki } from './pki.ts';
import { KWOK_NODE_IP, KWOK_POD_CIDR, SERVICE_CIDR } from './addresses.ts';
import {
  isRunning,
  killProcessesUsing,
  programs,
  startComponent,
  stopComponent,
  waitReady,
  type ComponentName,
  type RunningComponent,
} from './process.ts';
import { readState, writeState, type ClusterState } from './state.ts';
import { KUBERNETES_VERSION } from './tools.ts';
import { destroyRealNode, pickNodeNetwork, prepareRealNode, startRealNode } from './node/node.ts';
import { REAL_NODE_NAME } from './node/config.ts';
import { requireNodeHost } from './doctor.ts';
import { installGatewayApiCrds } from './gateway-api.ts';
import { Kube } from '../kube/api.ts';
import { registryAddress, startClusterRegistry, waitClusterRegistry } from './cluster-registry.ts';
import { startVolumeProvisioner, waitVolumeProvisioner } from './storage/index.ts';

export interface UpOptions {
  name: string;
  /** kwok (simulated) nodes. */
  nodes: number;
  /** Real nodes (0 or 1): kubelet + containerd running real containers. */
  realNodes: number;
  /** Fixed port for kube-apiserver; default: any free port. */
  apiPort?: number;
  progress: Progress;
}

export interface UpResult {
  state: ClusterState;
  /** False when the cluster was already running and `up` only reported it. */
  started: boolean;
}

export function exportLine(kubeconfig: string): string {
  return `export KUBECONFIG=${kubeconfig}`;
}

/** The registry's line for `dev-cluster env`: where to push images the cluster can pull. */
export function registryLine(registry: string): string {
  return `export SLUICE_REGISTRY=${registry}`;
}

function checkName(name: string): void {
  const problem = validateClusterName(name);
  if (problem) throw new DevClusterError('InvalidName', problem, { hint: 'pick another --name' });
}

/** Whether every component of a recorded cluster still runs. */
export async function componentHealth(
  state: ClusterState,
): Promise<Array<{ component: RunningComponent; running: boolean }>> {
  return Promise.all(
    state.components.map(async (c) => ({
      component: c,
      running: await isRunning(c.pid, programs(c)),
    })),
  );
}

export async function up(options: UpOptions): Promise<UpResult> {
  checkName(options.name);
  const paths = clusterPaths(options.name);
  const existing = await readState(paths.state);
  if (existing) {
    const health = await componentHealth(existing);
    if (health.every((h) => h.running)) return { state: existing, started: false };
    const dead = health.filter((h) => !h.running).map((h) => h.component.name);
    options.progress.step(
      `cluster "${options.name}" is broken (${dead.join(', ')} not running): starting it again`,
    );
    await stopAll(existing.components);
    await destroyRealNode(options.name, paths.dir);
  }
  if (options.apiPort !== undefined && (await portTaken(options.apiPort))) {
    throw new DevClusterError(
      'PortInUse',
      `port ${options.apiPort} on 127.0.0.1 is already in use`,
      {
        hint: 'stop what listens there (`ss -ltnp`), or leave out --api-port to use a free port',
      },
    );
  }
  if (options.realNodes > 1) {
    throw new DevClusterError(
      'InvalidName',
      `--real-nodes ${options.realNodes}: at most 1 real node`,
      {
        hint: 'use --real-nodes 0 or 1; --nodes sets how many kwok nodes run beside it',
      },
    );
  }
  const tools = await ensureTools(options.progress);
  if (options.realNodes > 0) await requireNodeHost();
  const started = Date.now();
  options.progress.step(
    `starting cluster "${options.name}" (Kubernetes v${KUBERNETES_VERSION}, ` +
      `${options.realNodes > 0 ? '1 real node, ' : ''}${options.nodes} kwok nodes)`,
  );
  await rm(paths.dir, { recursive: true, force: true });
  await Promise.all([paths.pki, paths.data, paths.logs].map((d) => mkdir(d, { recursive: true })));
  const [etcdClient, etcdPeer, controllerManager, scheduler, kwok, picked] = await freePorts(6);
  const ports = {
    etcdClient: etcdClient!,
    etcdPeer: etcdPeer!,
    apiserver: options.apiPort ?? picked!,
    controllerManager: controllerManager!,
    scheduler: scheduler!,
    kwok: kwok!,
  };
  const pki = await generatePki(paths.pki, options.name);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const network = options.realNodes > 0 ? await pickNodeNetwork(options.name) : undefined;
  const state: ClusterState = {
    name: options.name,
    createdAt: new Date().toISOString(),
    kubernetesVersion: `v${KUBERNETES_VERSION}`,
    server,
    kubeconfig: paths.kubeconfig,
    nodes: options.nodes,
    ports,
    components: [],
    ...(network ? { realNode: { name: REAL_NODE_NAME, network } } : {}),
  };
  state.registry = await registryAddress(state);
  // Written now and after every step, so a crashed `up` is cleaned up by the next `down`.
  await writeState(paths.state, state);
  try {
    await startAll({ state, paths, pki, tools, progress: options.progress });
  } catch (err) {
    await stopAll(state.components);
    await destroyRealNode(options.name, paths.dir);
    throw err;
  }
  await writeState(paths.state, state);
  options.progress.detail(
    `ready in ${formatDuration(Date.now() - started)}; logs in ${paths.logs}`,
  );
  return { state, started: true };
}

interface StartContext {
  state: ClusterState;
  paths: ClusterPaths;
  pki: Pki;
  tools: ToolPaths;
  progress: Progress;
}

/** The control plane and, at the same time, the real node's first phase; then the node's agents. */
async function startAll(ctx: StartContext): Promise<void> {
  const { state, paths } = ctx;
  const record = async (c: RunningComponent): Promise<void> => {
    state.components.push(c);
    await writeState(paths.state, state);
  };
  const node = state.realNode;
  const nodeCtx = {
    cluster: state.name,
    clusterDir: paths.dir,
    pkiDir: paths.pki,
    apiPort: state.ports['apiserver']!,
    tools: ctx.tools,
    progress: ctx.progress,
  };
  const preparing = node ? prepareRealNode(nodeCtx, node.network, node.name) : undefined;
  // Settled either way before we return, so a failure of one half never goes unobserved.
  const prepared = preparing?.then(
    (r) => ({ ok: true as const, r }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  try {
    await startControlPlane(ctx, record);
  } finally {
    const p = await prepared;
    if (p?.ok) await record(p.r.containerd);
  }
  const p = await prepared;
  if (p && !p.ok) throw p.err;
  // The registry (in the node's namespace when there is one) while the node's agents start.
  const address = state.registry ?? '';
  ctx.progress.detail(`registry at ${address}`);
  const registry = await startClusterRegistry(state, paths.dir, address, ctx.progress);
  await record(registry);
  const registryReady = waitClusterRegistry(address, registry);
  // The Gateway API's CRDs, so HTTPRoutes (progressive delivery's router) can be used at once.
  const gatewayApi = withKube(paths.kubeconfig, (kube) => installGatewayApiCrds(kube));
  if (node && p?.ok) {
    ctx.progress.detail(`real node ${node.name} (kubelet, kube-proxy, CoreDNS)`);
    const agents = startRealNode(nodeCtx, node, p.r.containerd, paths.kubeconfig);
    const [started] = await Promise.allSettled([agents, registryReady, gatewayApi]);
    if (started.status === 'fulfilled') for (const c of started.value) await record(c);
    await agents;
    // The default StorageClass `sluice-local`: PVCs get volumes on the real node.
    const volumes = await startVolumeProvisioner(paths, node.name);
    await record(volumes);
    await waitVolumeProvisioner(volumes, paths);
  }
  await Promise.all([registryReady, gatewayApi]);
}

async function withKube<T>(kubeconfig: string, fn: (kube: Kube) => Promise<T>): Promise<T> {
  const kube = await Kube.connect(kubeconfig);
  try {
    return await fn(kube);
  } finally {
    await kube.close();
  }
}

async function startControlPlane(
  ctx: StartContext,
  record: (c: RunningComponent) => Promise<void>,
): Promise<void> {
  const { state, paths, pki, tools, progress } = ctx;
  const { ports } = state;
  const log = (n: string): string => join(paths.logs, `${n}.log`);
  const kubeconfigs = join(paths.dir, 'kubeconfigs');
  await mkdir(kubeconfigs, { recursive: true });
  const writeComponentConfig = async (user: string, client: Pki['admin']): Promise<string> => {
    const path = join(kubeconfigs, `${user}.yaml`);
    await writeKubeconfig(path, {
      clusterName: state.name,
      server: state.server,
      caCert: pki.caCert,
      user,
      client,
      embed: false,
    });
    return path;
  };
  await writeKubeconfig(paths.kubeconfig, {
    clusterName: state.name,
    server: state.server,
    caCert: pki.caCert,
    user: 'sluice-admin',
    client: pki.admin,
    embed: true,
  });
  const [cmConfig, schedConfig, kwokConfig] = await Promise.all([
    writeComponentConfig('kube-controller-manager', pki.controllerManager),
    writeComponentConfig('kube-scheduler', pki.scheduler),
    writeComponentConfig('kwok', pki.kwok),
  ]);

  progress.detail('etcd');
  const etcdUrl = `http://127.0.0.1:${ports['etcdClient']}`;
  const peerUrl = `http://127.0.0.1:${ports['etcdPeer']}`;
  const etcd = startComponent(
    'etcd',
    join(tools.etcd, 'etcd'),
    [
      '--name=sluice',
      `--data-dir=${join(paths.data, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sluice=${peerUrl}`,
      // A dev cluster trades durability for speed: its data dies with it anyway.
      '--unsafe-no-fsync=true',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ],
    log('etcd'),
  );
  await record(etcd);
  await waitReady(
    etcd,
    async () => (await probe(`${etcdUrl}/health`)).body.includes('"health":"true"'),
    30_000,
  );

  progress.detail('kube-apiserver');
  const apiserver = startComponent(
    'kube-apiserver',
    join(tools.kubernetes, 'kube-apiserver'),
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      // With a real node, the `kubernetes` Service points at the host end of the node's link
      // (DNATed to 127.0.0.1); without one there is nothing that could use it.
      ...(state.realNode
        ? [
            `--advertise-address=${state.realNode.network.hostIp}`,
            '--endpoint-reconciler-type=lease',
          ]
        : ['--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none']),
      `--secure-port=${ports['apiserver']}`,
      `--cert-dir=${paths.pki}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.caCert}`,
      `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
      `--kubelet-client-key=${pki.kubeletClient.key}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--max-requests-inflight=1000',
      '--max-mutating-requests-inflight=500',
      '--profiling=false',
    ],
    log('kube-apiserver'),
  );
  await record(apiserver);
  const adminTls = { ca: pki.caCert, cert: pki.admin.cert, key: pki.admin.key };
  await waitReady(
    apiserver,
    async () => (await probe(`${state.server}/readyz`, adminTls)).status === 200,
    90_000,
  );

  progress.detail('kube-controller-manager, kube-scheduler, kwok');
  const common = (config: string, port: number): string[] => [
    `--kubeconfig=${config}`,
    `--authentication-kubeconfig=${config}`,
    `--authorization-kubeconfig=${config}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--leader-elect=false',
  ];
  const cm = startComponent(
    'kube-controller-manager',
    join(tools.kubernetes, 'kube-controller-manager'),
    [
      ...common(cmConfig, ports['controllerManager']!),
      `--cluster-name=sluice-${state.name}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--use-service-account-credentials=true',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--concurrent-deployment-syncs=20',
      '--concurrent-replicaset-syncs=20',
    ],
    log('kube-controller-manager'),
  );
  await record(cm);
  const sched = startComponent(
    'kube-scheduler',
    join(tools.kubernetes, 'kube-scheduler'),
    common(schedConfig, ports['scheduler']!),
    log('kube-scheduler'),
  );
  await record(sched);
  const kwok = startComponent(
    'kwok',
    join(tools.kwok, 'kwok'),
    [
      `--kubeconfig=${kwokConfig}`,
      `--config=${join(tools.kwok, 'kwok-stages.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--manage-single-node=',
      `--cidr=${KWOK_POD_CIDR}`,
      `--node-ip=${KWOK_NODE_IP}`,
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${ports['kwok']}`,
    ],
    log('kwok'),
  );
  await record(kwok);
  await Promise.all([
    waitReady(
      cm,
      async () =>
        (await probe(`https://127.0.0.1:${ports['controllerManager']}/healthz`)).status === 200,
      60_000,
    ),
    waitReady(
      sched,
      async () => (await probe(`https://127.0.0.1:${ports['scheduler']}/healthz`)).status === 200,
      60_000,
    ),
    waitReady(
      kwok,
      async () => (await probe(`http://127.0.0.1:${ports['kwok']}/healthz`)).status === 200,
      60_000,
    ),
  ]);

  progress.detail(`${state.nodes} kwok nodes`);
  const kc = new KubeConfig();
  kc.loadFromFile(paths.kubeconfig);
  await createNodes(kc, state.nodes);
  const core = kc.makeApiClient(CoreV1Api);
  // Pods can be created only once the namespace's default ServiceAccount exists.
  await waitReady(
    kwok,
    async () => {
      if ((await readyNodes(kc)) < state.nodes) return false;
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    60_000,
  );
}

async function stopAll(components: readonly RunningComponent[]): Promise<void> {
  // Reverse start order: nodes' agent and controllers first, etcd last.
  for (const c of [...components].reverse()) await stopComponent(c);
}

export interface DownResult {
  name: string;
  stopped: string[];
  existed: boolean;
}

async function recorded(
  name: string,
  component: ComponentName,
): Promise<{ paths: ClusterPaths; state: ClusterState; c: RunningComponent }> {
  checkName(name);
  const paths = clusterPaths(name);
  const state = await readState(paths.state);
  const c = state?.components.find((x) => x.name === component);
  if (!state || !c) {
    throw new DevClusterError('NotRunning', `dev cluster "${name}" has no running ${component}`, {
      hint: 'see `sluice dev-cluster status`',
    });
  }
  return { paths, state, c };
}

/** Stops one component, leaving the rest running (chaos tests: an API server that goes away). */
export async function stopClusterComponent(name: string, component: ComponentName): Promise<void> {
  const { c } = await recorded(name, component);
  await stopComponent(c);
}

/**
 * Starts one component again with the flags it ran with (after `stopClusterComponent`, or to
 * replace a running one: that is stopped first). Resolves when it is ready again.
 */
export async function startClusterComponent(
  name: string,
  component: ComponentName,
  timeoutMs = 90_000,
): Promise<RunningComponent> {
  const { paths, state, c } = await recorded(name, component);
  await stopComponent(c);
  const next = startComponent(c.name, c.binary, c.args, c.log, {
    ...(c.wrapper ? { wrapper: c.wrapper } : {}),
    ...(c.env ? { env: c.env } : {}),
  });
  state.components = state.components.map((x) => (x.name === component ? next : x));
  await writeState(paths.state, state);
  if (component === 'kube-apiserver') {
    const tls = {
      ca: join(paths.pki, 'ca.crt'),
      cert: join(paths.pki, 'admin.crt'),
      key: join(paths.pki, 'admin.key'),
    };
    await waitReady(
      next,
      async () => (await probe(`${state.server}/readyz`, tls)).status === 200,
      timeoutMs,
    );
  }
  return next;
}

/**
 * Stops one component and starts it again with the same flags (chaos tests: an API server
 * restart). Resolves when it is ready again.
 */
export function restartComponent(
  name: string,
  component: ComponentName,
  timeoutMs = 90_000,
): Promise<RunningComponent> {
  return startClusterComponent(name, component, timeoutMs);
}

export async function down(name: string): Promise<DownResult> {
  checkName(name);
  const paths = clusterPaths(name);
  const state = await readState(paths.state);
  const stopped: string[] = [];
  if (state) {
    for (const c of [...state.components].reverse()) {
      if (await isRunning(c.pid, programs(c))) stopped.push(`${c.name} (pid ${c.pid})`);
    }
  }
  // The registry may live in the node's network namespace: it goes first, so the namespace
  // (and its veth pair) is freed the moment the node is destroyed.
  for (const c of state?.components ?? []) if (c.name === 'registry') await stopComponent(c);
  // The real node first, found by name alone (its cgroup, network namespace, nftables table),
  // so even an `up` that crashed before writing its state leaves nothing behind.
  await destroyRealNode(name, paths.dir);
  if (state) for (const c of [...state.components].reverse()) await stopComponent(c);
  // Whatever an interrupted `up` started but had not recorded yet.
  for (const pid of await killProcessesUsing(paths.dir)) stopped.push(`unrecorded process ${pid}`);
  // Give the kernel a moment to release the ports before the directory goes.
  await sleep(10);
  const existed = state !== undefined;
  await rm(paths.dir, { recursive: true, force: true });
  return { name, stopped, existed };
}

export interface ComponentStatus {
  name: string;
  pid: number;
  running: boolean;
  log: string;
}

export interface ClusterStatus {
  name: string;
  running: boolean;
  server: string;
  kubeconfig: string;
  kubernetesVersion: string;
  createdAt: string;
  nodes: number;
  /** The real node: its name, address and network namespace. */
  realNode?: { name: string; ip: string; netns: string; podCidr: string };
  /** The local registry (`host:port`), from the host, the node and its pods alike. */
  registry?: string;
  components: ComponentStatus[];
}

export async function status(name: string): Promise<ClusterStatus> {
  checkName(name);
  const paths = clusterPaths(name);
  const state = await readState(paths.state);
  if (!state) {
    throw new DevClusterError('NotRunning', `dev cluster "${name}" is not running`, {
      hint: `start it with \`sluice dev-cluster up --name ${name}\``,
    });
  }
  const health = await componentHealth(state);
  return {
    name: state.name,
    running: health.every((h) => h.running),
    server: state.server,
    kubeconfig: state.kubeconfig,
    kubernetesVersion: state.kubernetesVersion,
    createdAt: state.createdAt,
    nodes: state.nodes,
    ...(state.realNode
      ? {
          realNode: {
            name: state.realNode.name,
            ip: state.realNode.network.nodeIp,
            netns: state.realNode.network.netns,
            podCidr: state.realNode.network.podCidr,
          },
        }
      : {}),
    ...(state.registry ? { registry: state.registry } : {}),
    components: health.map((h) => ({
      name: h.component.name,
      pid: h.component.pid,
      running: h.running,
      log: h.component.log,
    })),
  };
}
