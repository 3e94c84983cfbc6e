/**
 * Sluice running in the dev cluster, on the real node, from its own image and Helm chart (issue 9,
 * item 9): `helm install` with two replicas; Applications (plain YAML, Helm, Kustomize) synced by
 * the in-cluster controller from a Git server that runs in the cluster too; then a failover: the
 * leader's pod is deleted and the other replica holds the Lease within the lease duration and
 * syncs the next change.
 *
 * The image is built and pushed to the run cluster's registry first (or taken from
 * SLUICE_E2E_IMAGE). Without a real node it fails (never skips), saying how to get one.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pushSluiceImage } from '../../src/devcluster/images/sluice-image.ts';
import type { ClusterState } from '../../src/devcluster/state.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { configMap, waitApp } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, uniqueName } from './harness.ts';
import { adoptCrds, helmInstall, helmUninstall, kubectl, type Release } from './install-harness.ts';

const REAL_NODE_LABEL = 'sluice.dev/real-node';
const LEASE_SECONDS = 10;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

type Pod = KubeObject & {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount: number }>;
  };
};
type Lease = KubeObject & { spec?: { holderIdentity?: string } };

/** The real node's name; fails with how to get one when the cluster has none. */
async function realNode(k: Kube): Promise<string> {
  const nodes = await k.list('v1', 'Node', { labelSelector: `${REAL_NODE_LABEL}=true` });
  const name = nodes.items[0]?.metadata.name;
  if (!name)
    throw new Error(
      `install-real needs a dev cluster with a real node (a Node labelled ${REAL_NODE_LABEL}=true); ` +
        'this cluster has only simulated (kwok) nodes, where a pod turns Running without running. ' +
        'Start one with `npx sluice dev-cluster up --real-nodes 1` and point SLUICE_E2E_KUBECONFIG at it.',
    );
  return name;
}

/**
 * Sluice's image: SLUICE_E2E_IMAGE when set, else built with `npm run image`'s code and pushed to
 * the run cluster's local registry (seconds when nothing changed; about a minute the first time).
 */
async function sluiceImage(): Promise<{ repository: string; tag: string }> {
  let image = process.env['SLUICE_E2E_IMAGE'] ?? '';
  if (image === '') {
    const state = JSON.parse(
      await readFile(join(dirname(kubeconfigPath()), 'state.json'), 'utf8'),
    ) as ClusterState;
    if (!state.registry) throw new Error('the run cluster has no registry');
    const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
    image = (
      await pushSluiceImage({ repoRoot, registry: state.registry, progress: silentProgress })
    ).reference;
  }
  const m = /^(.+):([\w][\w.-]*)$/.exec(image);
  if (!m?.[1] || !m[2])
    throw new Error(`SLUICE_E2E_IMAGE must be <registry>/<repo>:<tag>, got "${image}"`);
  return { repository: m[1], tag: m[2] };
}

/** Scheduling onto the real node, for a pod spec or as chart values. */
const placement = {
  nodeSelector: { [REAL_NODE_LABEL]: 'true' },
  tolerations: [{ key: REAL_NODE_LABEL, operator: 'Exists' }],
};

const SEED = {
  'v1/cm.yaml': configMap('plain', { version: 'v1' }),
  'v2/cm.yaml': configMap('plain', { version: 'v2' }),
  'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
  'chart/templates/cm.yaml': configMap('from-helm', { release: '{{ .Release.Name }}' }),
  'kust/kustomization.yaml': 'namePrefix: kust-\nresources:\n  - cm.yaml\n',
  'kust/cm.yaml': configMap('settings', { from: 'kustomize' }),
};

/**
 * A Git server in the cluster (on the real node, from the Sluice image, which has git): it
 * commits SEED into a repository and serves it over git://. Returns the repository URL.
 */
async function gitServer(k: Kube, ns: string, image: string): Promise<string> {
  const files = Object.fromEntries(
    Object.entries(SEED).map(([path, text]) => [path.replaceAll('/', '__'), text]),
  );
  await k.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'git-seed', namespace: ns },
    data: files,
  });
  const script = [
    'set -eu',
    'mkdir -p /srv/git/repo && cd /srv/git/repo && git init -q -b main',
    'for f in /seed/*; do p=$(basename "$f" | sed "s#__#/#g"); mkdir -p "$(dirname "$p")"; cp "$f" "$p"; done',
    'git add -A && git -c user.name=e2e -c user.email=e2e@sluice.dev commit -qm seed',
    'exec git daemon --reuseaddr --export-all --base-path=/srv/git --port=9418 /srv/git',
  ].join('\n');
  const labels = { app: 'git-server' };
  await k.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'git-server', namespace: ns, labels },
    spec: {
      ...placement,
      containers: [
        {
          name: 'git',
          image,
          command: ['sh', '-c', script],
          env: [{ name: 'HOME', value: '/srv/git' }],
          ports: [{ containerPort: 9418 }],
          readinessProbe: { tcpSocket: { port: 9418 }, periodSeconds: 1 },
          volumeMounts: [
            { name: 'seed', mountPath: '/seed' },
            { name: 'srv', mountPath: '/srv/git' },
          ],
        },
      ],
      volumes: [
        { name: 'seed', configMap: { name: 'git-seed' } },
        { name: 'srv', emptyDir: {} },
      ],
    },
  });
  await k.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'git-server', namespace: ns },
    spec: { selector: labels, ports: [{ port: 9418, targetPort: 9418 }] },
  });
  await eventually(
    'the in-cluster Git server to be Ready',
    async () => {
      const pod = await k.get<Pod>('v1', 'Pod', ns, 'git-server');
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? true
        : undefined;
    },
    180_000,
  );
  return `git://git-server.${ns}.svc.cluster.local/repo`;
}

const synced = (a: Application): boolean =>
  a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';

async function leaseHolder(k: Kube, ns: string): Promise<string | undefined> {
  const lease = await k.get<Lease>('coordination.k8s.io/v1', 'Lease', ns, 'sluice-controller');
  return lease?.spec?.holderIdentity || undefined;
}

/** The controller pods, Ready, on `node`. */
async function readyPods(k: Kube, ns: string, node: string): Promise<Pod[]> {
  const pods = await k.list<Pod>('v1', 'Pod', {
    namespace: ns,
    labelSelector: 'app.kubernetes.io/component=controller',
  });
  return pods.items.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.spec?.nodeName === node &&
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

describe('Sluice installed in the cluster, on the real node', () => {
  it('syncs Applications from the in-cluster controller, and fails over when the leader goes', async () => {
    const k = await kube();
    const node = await realNode(k);
    const image = await sluiceImage();
    const ns = uniqueName('sluice-real');
    const dest = uniqueName('sluice-real-dest');
    for (const name of [dest, ns])
      cleanups.push(() => k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    const r: Release = {
      release: 'sluice',
      namespace: ns,
      set: [
        `image.repository=${image.repository}`,
        `image.tag=${image.tag}`,
        `controller.appNamespaces={${ns}}`,
        `controller.leaseDuration=${LEASE_SECONDS}s`,
        `tolerations[0].key=${REAL_NODE_LABEL},tolerations[0].operator=Exists`,
      ],
      setString: [`nodeSelector.${REAL_NODE_LABEL.replace('.', '\\.')}=true`],
    };
    await adoptCrds(k, r);
    cleanups.push(() => helmUninstall(r));
    await helmInstall(r, ['--wait', '--timeout', '5m']);

    // 1. Two replicas really run on the real node; one holds the Lease.
    const pods = await eventually('two Ready controller pods', async () => {
      const ready = await readyPods(k, ns, node);
      return ready.length === 2 ? ready : undefined;
    });
    for (const p of pods) expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const logs = await kubectl(['logs', '-n', ns, pods[0]?.metadata.name ?? '']);
    expect(logs.stdout, `kubectl logs: ${logs.stderr}`).toContain('controller started');
    const leader = await eventually('a leader', () => leaseHolder(k, ns));
    const leaderPod = leader.replace(/-\d+$/, '');
    expect(pods.map((p) => p.metadata.name)).toContain(leaderPod);

    // 2. Applications of each kind of source, synced by the in-cluster controller.
    const repoURL = await gitServer(k, ns, `${image.repository}:${image.tag}`);
    const apps: Array<[string, string]> = [
      ['plain', 'v1'],
      ['helm', 'chart'],
      ['kustomize', 'kust'],
    ];
    for (const [name, path] of apps)
      await k.create({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name, namespace: ns },
        spec: {
          source: { repoURL, path, targetRevision: 'main' },
          destination: { namespace: dest },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      });
    for (const [name] of apps)
      await waitApp(k, ns, name, `${name} Synced and Healthy`, synced, 180_000);
    for (const cm of ['plain', 'from-helm', 'kust-settings'])
      expect(await k.get('v1', 'ConfigMap', dest, cm), cm).toBeDefined();

    // 3. Failover: the leader's pod goes; the other replica leads within the lease duration.
    const deleted = Date.now();
    await k.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: leaderPod, namespace: ns } });
    const next = await eventually(
      'another replica to hold the Lease',
      async () => {
        const holder = await leaseHolder(k, ns);
        return holder && !holder.startsWith(`${leaderPod}-`) ? holder : undefined;
      },
      LEASE_SECONDS * 1000 + 5000,
    );
    const tookOver = Date.now() - deleted;
    expect(tookOver).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + 5000);
    expect(pods.map((p) => p.metadata.name)).toContain(next.replace(/-\d+$/, ''));

    // 4. The new leader syncs the next change.
    await k.mergePatch(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'plain', namespace: ns } },
      { spec: { source: { path: 'v2' } } },
    );
    await waitApp(
      k,
      ns,
      'plain',
      'the change synced by the new leader',
      (a) => synced(a) && a.status?.sync?.comparedTo?.source?.path === 'v2',
      120_000,
    );
    const cm = await k.get<KubeObject & { data?: Record<string, string> }>(
      'v1',
      'ConfigMap',
      dest,
      'plain',
    );
    expect(cm?.data?.['version']).toBe('v2');
    await eventually('the Deployment back to two Ready replicas', async () =>
      (await readyPods(k, ns, node)).length === 2 ? true : undefined,
    );
  }, 600_000);
});
