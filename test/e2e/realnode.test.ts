/**
 * The dev cluster's real node runs real containers: what a pipeline step, a canary pod or an
 * analysis Job will rely on. Logs, exit codes, Services by DNS name, in-cluster API access with
 * RBAC, images pushed to the local registry, and a clear, fast error for an image that is not
 * there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryPath } from '../../src/devcluster/build.ts';
import type { ClusterState } from '../../src/devcluster/state.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('real');

interface PodStatus {
  phase?: string;
  containerStatuses?: Array<{
    state?: {
      waiting?: { reason?: string; message?: string };
      terminated?: { exitCode?: number; reason?: string };
    };
  }>;
}

async function clusterState(): Promise<ClusterState> {
  const path = join(dirname(kubeconfigPath()), 'state.json');
  return JSON.parse(await readFile(path, 'utf8')) as ClusterState;
}

async function registry(): Promise<string> {
  const r = (await clusterState()).registry;
  if (!r) throw new Error('the run cluster has no registry (is it a real-node cluster?)');
  return r;
}

/** Scheduling onto the real node: its label and its taint (docs/dev-cluster.md). */
const onRealNode = {
  nodeSelector: { 'sluice.dev/real-node': 'true' },
  tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
};

function pod(name: string, containers: object[], extra: object = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns() },
    spec: { ...onRealNode, restartPolicy: 'Never', containers, ...extra },
  };
}

async function podStatus(name: string): Promise<PodStatus | undefined> {
  const k = await kube();
  return (await k.get('v1', 'Pod', ns(), name))?.['status'] as PodStatus | undefined;
}

async function finished(name: string, timeoutMs = 60_000): Promise<PodStatus> {
  return eventually(
    `pod ${name} to finish`,
    async () => {
      const s = await podStatus(name);
      return s?.phase === 'Succeeded' || s?.phase === 'Failed' ? s : undefined;
    },
    timeoutMs,
  );
}

async function kubectl(...args: string[]): Promise<{ code: number | null; out: string }> {
  const bin = await binaryPath('kubectl');
  if (!bin) throw new Error('kubectl is not built');
  const r = await execFile(bin, ['--kubeconfig', kubeconfigPath(), ...args], {
    timeoutMs: 60_000,
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

describe('the real node', () => {
  it('runs a container whose output `kubectl logs` returns', async () => {
    const k = await kube();
    const image = `${await registry()}/busybox:latest`;
    await k.create(
      pod('echo', [{ name: 'main', image, command: ['sh', '-c', 'echo hello from a real pod'] }]),
    );
    expect((await finished('echo')).phase).toBe('Succeeded');
    const logs = await kubectl('logs', '-n', ns(), 'echo');
    expect(logs.code, logs.out).toBe(0);
    expect(logs.out.trim()).toBe('hello from a real pod');
  });

  it("reports a Job whose container exits 3 as Failed, with the exit code in the pod's status", async () => {
    const k = await kube();
    const image = `${await registry()}/busybox:latest`;
    await k.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fails', namespace: ns() },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            ...onRealNode,
            restartPolicy: 'Never',
            containers: [{ name: 'main', image, command: ['sh', '-c', 'exit 3'] }],
          },
        },
      },
    });
    const job = await eventually('the Job to fail', async () => {
      const j = await k.get('batch/v1', 'Job', ns(), 'fails');
      const conds = (j?.['status'] as { conditions?: Array<{ type: string; status: string }> })
        ?.conditions;
      return conds?.some((c) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
    });
    expect(job).toBeDefined();
    const pods = await k.list('v1', 'Pod', { namespace: ns(), labelSelector: 'job-name=fails' });
    const status = pods.items[0]?.['status'] as PodStatus;
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
  });

  it('serves the sample web app through its Service to another pod, by DNS name', async () => {
    const k = await kube();
    const reg = await registry();
    const labels = { app: 'web' };
    await k.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns() },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...onRealNode,
            containers: [
              {
                name: 'web',
                image: `${reg}/sample-app:v1`,
                env: [{ name: 'VERSION', value: 'v1-e2e' }],
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    await k.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns() },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await eventually(
      'both replicas to be ready',
      async () => {
        const d = await k.get('apps/v1', 'Deployment', ns(), 'web');
        return (d?.['status'] as { readyReplicas?: number })?.readyReplicas === 2 ? d : undefined;
      },
      60_000,
    );
    const url = `http://web.${ns()}.svc.cluster.local/`;
    await k.create(
      pod('client', [
        {
          name: 'main',
          image: `${reg}/busybox:latest`,
          command: ['sh', '-c', `wget -q -O - ${url} && wget -q -O - ${url}metrics`],
        },
      ]),
    );
    expect((await finished('client')).phase).toBe('Succeeded');
    const logs = await kubectl('logs', '-n', ns(), 'client');
    expect(logs.out).toContain('"version":"v1-e2e"');
    expect(logs.out).toMatch(/http_requests_total\{code="200",path="\/"\} \d+/);
  });

  it('gives a pod in-cluster API access with its ServiceAccount token, limited by RBAC', async () => {
    const k = await kube();
    const reg = await registry();
    const sa = 'reader';
    await k.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: ns() },
    });
    await k.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${ns()}-list-namespaces` },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'get'] }],
    });
    await k.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${ns()}-list-namespaces` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `${ns()}-list-namespaces`,
      },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns() }],
    });
    try {
      await k.create(
        pod(
          'api-client',
          [
            {
              name: 'main',
              image: `${reg}/kubectl:latest`,
              command: [
                'sh',
                '-c',
                'kubectl get namespaces -o name; echo "--"; kubectl get secrets -n kube-system 2>&1; exit 0',
              ],
            },
          ],
          { serviceAccountName: sa },
        ),
      );
      expect((await finished('api-client')).phase).toBe('Succeeded');
      const logs = await kubectl('logs', '-n', ns(), 'api-client');
      const [allowed, refused] = logs.out.split('--');
      expect(allowed).toContain(`namespace/${ns()}`);
      expect(allowed).toContain('namespace/kube-system');
      expect(refused).toContain('Forbidden');
      expect(refused).toContain(`system:serviceaccount:${ns()}:${sa}`);
    } finally {
      for (const kind of ['ClusterRoleBinding', 'ClusterRole']) {
        await k.delete({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind,
          metadata: { name: `${ns()}-list-namespaces` },
        });
      }
    }
  });

  it('lets pods reach the local registry at the address the host uses', async () => {
    const k = await kube();
    const reg = await registry();
    await k.create(
      pod('catalog', [
        {
          name: 'main',
          image: `${reg}/busybox:latest`,
          command: ['wget', '-q', '-O', '-', `http://${reg}/v2/_catalog`],
        },
      ]),
    );
    expect((await finished('catalog')).phase).toBe('Succeeded');
    const catalog = JSON.parse((await kubectl('logs', '-n', ns(), 'catalog')).out) as {
      repositories: string[];
    };
    expect(catalog.repositories).toEqual(expect.arrayContaining(['busybox', 'sample-app']));
  });

  it('pulls an image just pushed to the local registry', async () => {
    const k = await kube();
    const reg = await registry();
    const token = randomBytes(6).toString('hex');
    const repo = `e2e/pushed-${token}`;
    await pushImageOnBusybox(reg, repo, 'v1', { path: 'hello.txt', text: `pushed ${token}\n` });
    await k.create(
      pod('pulled', [
        {
          name: 'main',
          image: `${reg}/${repo}:v1`,
          imagePullPolicy: 'Always',
          command: ['cat', '/hello.txt'],
        },
      ]),
    );
    expect((await finished('pulled')).phase).toBe('Succeeded');
    expect((await kubectl('logs', '-n', ns(), 'pulled')).out.trim()).toBe(`pushed ${token}`);
  });

  it('reports an image that does not exist as ErrImagePull / ImagePullBackOff naming it, fast', async () => {
    const k = await kube();
    const image = `${await registry()}/no-such/image:1`;
    const started = Date.now();
    await k.create(pod('bad-image', [{ name: 'main', image }]));
    const waiting = await eventually(
      'the pull error',
      async () => {
        const w = (await podStatus('bad-image'))?.containerStatuses?.[0]?.state?.waiting;
        return w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff' ? w : undefined;
      },
      20_000,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(waiting.message).toContain(image);
  });
});

const sha = (b: Buffer | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Pushes a new image to the registry with the OCI distribution API: busybox's layer plus one
 * new layer holding `file`, so the node must fetch content it has never seen.
 */
async function pushImageOnBusybox(
  reg: string,
  repo: string,
  tag: string,
  file: { path: string; text: string },
): Promise<void> {
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const base = (await (
    await fetch(`http://${reg}/v2/busybox/manifests/latest`, { headers: { accept } })
  ).json()) as {
    config: { digest: string };
    layers: Array<{ digest: string; size: number; mediaType: string }>;
  };
  const baseConfig = (await (
    await fetch(`http://${reg}/v2/busybox/blobs/${base.config.digest}`)
  ).json()) as { rootfs: { diff_ids: string[] }; config: object };
  const dir = await mkdtemp(join(tmpdir(), 'sluice-push-'));
  try {
    await writeFile(join(dir, file.path), file.text);
    const tar = join(dir, 'layer.tar');
    await execFile('tar', ['--owner=0', '--group=0', '-C', dir, '-cf', tar, file.path]);
    const layer = await readFile(tar);
    const config = JSON.stringify({
      ...baseConfig,
      rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, sha(layer)] },
    });
    const upload = async (blob: Buffer | string): Promise<void> => {
      const digest = sha(blob);
      const start = await fetch(`http://${reg}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      expect(start.status).toBe(202);
      const location = new URL(start.headers.get('location') ?? '', `http://${reg}`);
      location.searchParams.set('digest', digest);
      const put = await fetch(location, { method: 'PUT', body: blob });
      expect(put.status, await put.text()).toBe(201);
    };
    // busybox's layers: mounted from its repository, not uploaded again.
    for (const l of base.layers) {
      const r = await fetch(
        `http://${reg}/v2/${repo}/blobs/uploads/?mount=${l.digest}&from=busybox`,
        {
          method: 'POST',
        },
      );
      expect(r.status).toBe(201);
    }
    await upload(layer);
    await upload(config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: accept,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: Buffer.byteLength(config),
      },
      layers: [
        ...base.layers,
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: sha(layer),
          size: layer.length,
        },
      ],
    });
    const put = await fetch(`http://${reg}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': accept },
      body: manifest,
    });
    expect(put.status, await put.text()).toBe(201);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
