/**
 * The dev cluster's real node: containerd, kubelet, kube-proxy and CoreDNS in the node's own
 * network namespace, containerd and kubelet in a private mount namespace, all in one cgroup.
 *
 * Two phases, so the node starts while the control plane does: `prepareRealNode` (network,
 * cgroup, certificates, configuration, containerd with the pause image) needs nothing from the
 * API server; `startRealNode` (kubelet, kube-proxy, CoreDNS and their API objects) does.
 * `destroyRealNode` kills everything in the node's cgroup and removes its network, whatever
 * state a crash left it in.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execFile, tail } from '../../util/exec.ts';
import type { Progress } from '../../util/progress.ts';
import { freeSlot, nodeNetwork, type NodeNetwork } from '../addresses.ts';
import type { ToolPaths } from '../build.ts';
import { DevClusterError } from '../errors.ts';
import { writeKubeconfig } from '../kubeconfig.ts';
import { probe } from '../net.ts';
import { cacheRoot } from '../paths.ts';
import { generateNodePki, type NodePki } from '../pki.ts';
import { startComponent, waitReady, type RunningComponent } from '../process.ts';
import { readState } from '../state.ts';
import { createNodeCgroup, destroyNodeCgroup } from './cgroups.ts';
import {
  cgroupRoot,
  cniConfig,
  containerdConfig,
  corefile,
  KUBELET_SYSCTLS,
  kubeletConfig,
  kubeProxyConfig,
  launcherScript,
  nodePaths,
  REAL_NODE_LABEL,
  REGISTRY_PORT,
  registryHostsToml,
  type NodePaths,
} from './config.ts';
import {
  createNodeNetwork,
  deleteNodeNetwork,
  inNodeNetns,
  netnsPath,
  NSENTER,
} from './network.ts';
import { applyNodeObjects, nodeReady } from './objects.ts';
import { ensurePauseArchive } from './pause-image.ts';

export const RUNC = '/usr/sbin/runc';
const UNSHARE = '/usr/bin/unshare';
const SH = '/bin/sh';

/** What a cluster's state file records about its real node. */
export interface RealNodeState {
  name: string;
  network: NodeNetwork;
}

export interface RealNodeContext {
  cluster: string;
  clusterDir: string;
  /** The cluster's PKI directory (ca.crt, ca.key). */
  pkiDir: string;
  apiPort: number;
  tools: ToolPaths;
  progress: Progress;
}

/** Slots of the real nodes of every recorded cluster, and of host interfaces left behind. */
async function takenSlots(): Promise<number[]> {
  const taken: number[] = [];
  const clusters = join(cacheRoot(), 'clusters');
  for (const name of await readdir(clusters).catch(() => [] as string[])) {
    const s = await readState(join(clusters, name, 'state.json'));
    if (s?.realNode) taken.push(s.realNode.network.slot);
  }
  const links = await execFile('ip', ['-o', 'link', 'show'], { timeoutMs: 10_000 });
  for (const m of links.stdout.matchAll(/^\d+: sluice(\d+)[@:]/gm)) taken.push(Number(m[1]));
  return taken;
}

export async function pickNodeNetwork(cluster: string): Promise<NodeNetwork> {
  const slot = freeSlot(await takenSlots());
  if (slot === undefined) {
    throw new DevClusterError('NetworkSetupFailed', 'every real-node network slot is in use', {
      hint: 'stop a dev cluster (`sluice dev-cluster down --name ...`) or start this one with --real-nodes 0',
    });
  }
  return nodeNetwork(cluster, slot);
}

async function writeNodeFiles(
  ctx: RealNodeContext,
  paths: NodePaths,
  net: NodeNetwork,
  nodeName: string,
  certs: NodePki,
): Promise<void> {
  const ca = join(ctx.pkiDir, 'ca.crt');
  const server = `https://${net.hostIp}:${ctx.apiPort}`;
  const kubeconfig = (user: string, client: NodePki['kubelet']): Promise<void> =>
    writeKubeconfig(join(paths.kubeconfigs, `${user}.yaml`), {
      clusterName: ctx.cluster,
      server,
      caCert: ca,
      user,
      client,
      embed: false,
      // The API server's certificate names it as the `kubernetes` Service, not by this address.
      tlsServerName: 'kubernetes.default.svc',
    });
  await Promise.all([
    kubeconfig('kubelet', certs.kubelet),
    kubeconfig('kube-proxy', certs.kubeProxy),
    kubeconfig('coredns', certs.coredns),
    writeFile(paths.containerdConfig, containerdConfig(paths, ctx.tools['cni-plugins'], RUNC)),
    writeFile(join(paths.cniConfDir, '10-sluice.conflist'), cniConfig(net, paths.cniIpamDir)),
    writeFile(
      paths.kubeletConfig,
      kubeletConfig({
        paths,
        cluster: ctx.cluster,
        net,
        caCert: ca,
        servingCert: certs.kubeletServing,
      }),
    ),
    writeFile(paths.kubeProxyConfig, kubeProxyConfig(paths, net, nodeName)),
    writeFile(paths.corefile, corefile(paths, net)),
    writeFile(paths.resolvConf, '# no upstream resolver on the dev cluster\n'),
    writeFile(paths.launcher, launcherScript(), { mode: 0o755 }),
    writeRegistryHosts(paths.registryHosts, `${net.nodeIp}:${REGISTRY_PORT}`),
    // The same registry by a name that is the same on every dev cluster (as kind users know it):
    // containerd runs in the node's namespace, where the registry listens on localhost too.
    writeRegistryHosts(paths.registryHosts, `localhost:${REGISTRY_PORT}`),
    ...Object.entries(KUBELET_SYSCTLS).map(([k, v]) =>
      writeFile(join(paths.sysctlDir, k.replaceAll('/', '.')), `${v}\n`),
    ),
  ]);
}

/** containerd pulls from the local registry over plain HTTP. */
async function writeRegistryHosts(dir: string, registry: string): Promise<void> {
  await mkdir(join(dir, registry), { recursive: true });
  await writeFile(join(dir, registry, 'hosts.toml'), registryHostsToml(registry));
}

async function mkdirs(paths: NodePaths): Promise<void> {
  const dirs = [
    paths.containerdRoot,
    paths.containerdState,
    paths.registryHosts,
    paths.cniConfDir,
    paths.cniIpamDir,
    paths.kubeletRoot,
    paths.podLogs,
    paths.sysctlDir,
    paths.kubeconfigs,
    paths.pki,
    join(paths.dir, 'logs'),
  ];
  await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
}

/**
 * Phase 1: the node's network, cgroup, certificates and configuration, then containerd with the
 * pause image imported. Nothing here needs the API server.
 */
export async function prepareRealNode(
  ctx: RealNodeContext,
  net: NodeNetwork,
  nodeName: string,
): Promise<{ node: RealNodeState; containerd: RunningComponent }> {
  const paths = nodePaths(ctx.clusterDir, ctx.cluster);
  await mkdirs(paths);
  // The node's certificates are issued by the cluster CA, in the cluster's PKI directory.
  const [certs] = await Promise.all([
    generateNodePki(ctx.pkiDir, nodeName, net.nodeIp),
    createNodeNetwork(net, ctx.apiPort),
    createNodeCgroup(cgroupRoot(ctx.cluster)),
  ]);
  await writeNodeFiles(ctx, paths, net, nodeName, certs);
  const containerd = startComponent(
    'containerd',
    join(ctx.tools.containerd, 'containerd'),
    ['--config', paths.containerdConfig],
    join(ctx.clusterDir, 'logs', 'containerd.log'),
    {
      // Own network namespace, own private mount namespace (container mounts stay out of the
      // host's mount table and vanish with the node), then the launcher joins the cgroup.
      wrapper: [
        ...inNodeNetns(net),
        UNSHARE,
        '--mount',
        '--propagation',
        'private',
        '--',
        SH,
        paths.launcher,
        cgroupRoot(ctx.cluster),
        paths.sysctlDir,
      ],
      // containerd finds its shim on the PATH.
      env: { PATH: `${ctx.tools.containerd}:/usr/sbin:/usr/bin:/sbin:/bin` },
    },
  );
  const archive = await ensurePauseArchive(ctx.tools.pause);
  const ctr = join(ctx.tools.containerd, 'ctr');
  await waitReady(
    containerd,
    async () => {
      const r = await execFile(ctr, ['-a', paths.containerdSocket, 'version'], {
        timeoutMs: 5000,
      });
      return r.code === 0;
    },
    30_000,
  );
  const imported = await execFile(
    ctr,
    [
      '-a',
      paths.containerdSocket,
      '-n',
      'k8s.io',
      'images',
      'import',
      '--label',
      'io.cri-containerd.pinned=pinned',
      archive,
    ],
    { timeoutMs: 60_000 },
  );
  if (imported.code !== 0) {
    throw new DevClusterError(
      'ComponentNotReady',
      `could not import the pause image into containerd: ${tail(imported.stderr, 5)}`,
      { logPath: containerd.log },
    );
  }
  return { node: { name: nodeName, network: net }, containerd };
}

/**
 * Phase 2 (the API server is ready): kubelet, kube-proxy and CoreDNS, the objects they need, and
 * a wait until the node is Ready, kube-proxy has synced its rules and CoreDNS answers.
 */
export async function startRealNode(
  ctx: RealNodeContext,
  node: RealNodeState,
  containerd: RunningComponent,
  adminKubeconfig: string,
): Promise<RunningComponent[]> {
  const net = node.network;
  const paths = nodePaths(ctx.clusterDir, ctx.cluster);
  const log = (n: string): string => join(ctx.clusterDir, 'logs', `${n}.log`);
  const launch = [SH, paths.launcher, cgroupRoot(ctx.cluster), '-'];
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  await applyNodeObjects(kc, net);
  const kubelet = startComponent(
    'kubelet',
    join(ctx.tools['kubernetes-node'], 'kubelet'),
    [
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${join(paths.kubeconfigs, 'kubelet.yaml')}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--cert-dir=${paths.pki}`,
      `--node-ip=${net.nodeIp}`,
      `--hostname-override=${node.name}`,
      `--node-labels=${REAL_NODE_LABEL}=true,node.kubernetes.io/instance-type=sluice-real`,
    ],
    log('kubelet'),
    // kubelet shares containerd's mount namespace: the volumes it mounts are the ones
    // containerd gives the containers.
    {
      wrapper: [
        NSENTER,
        `--net=${netnsPath(net)}`,
        `--mount=/proc/${containerd.pid}/ns/mnt`,
        '--',
        ...launch,
      ],
    },
  );
  const kubeProxy = startComponent(
    'kube-proxy',
    join(ctx.tools['kubernetes-node'], 'kube-proxy'),
    [`--config=${paths.kubeProxyConfig}`],
    log('kube-proxy'),
    { wrapper: [...inNodeNetns(net), ...launch] },
  );
  const coredns = startComponent(
    'coredns',
    join(ctx.tools.coredns, 'coredns'),
    ['-conf', paths.corefile],
    log('coredns'),
    { wrapper: [...inNodeNetns(net), ...launch] },
  );
  await Promise.all([
    waitReady(kubelet, () => nodeReady(kc, node.name), 90_000),
    waitReady(
      kubeProxy,
      async () => (await probe(`http://${net.nodeIp}:10256/healthz`)).status === 200,
      60_000,
    ),
    waitReady(
      coredns,
      async () => (await probe(`http://${net.nodeIp}:8181/ready`)).status === 200,
      60_000,
    ),
  ]);
  return [kubelet, kubeProxy, coredns];
}

/**
 * Kills every process of the node (kubelet, containerd, shims, containers...), removes its
 * cgroup, network and runtime directory. Everything is found from the cluster's name, so this
 * also cleans what a crashed `up` left; it does nothing when there is nothing.
 */
export async function destroyRealNode(cluster: string, clusterDir: string): Promise<void> {
  const paths = nodePaths(clusterDir, cluster);
  await destroyNodeCgroup(cgroupRoot(cluster));
  await deleteNodeNetwork(cluster);
  await rm(paths.runDir, { recursive: true, force: true });
}
