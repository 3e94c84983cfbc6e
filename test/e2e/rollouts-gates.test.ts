/**
 * What holds a rollout back or lets it go, on the dev cluster with the Rollout controller:
 * `onError: Pause` (a metrics outage holds the canary instead of aborting; a promote measures
 * again), blue-green pre- and post-promotion analysis, `workloadRef` to a Deployment (missing,
 * then created), the progress deadline with `progressDeadlineAbort` (pods that never start, on
 * the real node), and the Ingress NGINX router driven through the steps, its canary Ingress
 * removed when the rollout completes. Pods that only need to be Ready run on kwok nodes; the
 * analyses are `web` metrics against a server in this process on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { RolloutController } from '../../src/rollouts/controller.ts';
import { HASH_LABEL, type ReplicaSet } from '../../src/rollouts/replicasets.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, useNamespace } from './harness.ts';

const ns = useNamespace('gate');
let controller: RolloutController | undefined;
const API = 'sluice.dev/v1alpha1';

beforeAll(async () => {
  await installCrds(await kube(), silentProgress);
});

afterAll(async () => {
  await controller?.stop();
});

async function startController(k: Kube): Promise<void> {
  await controller?.stop();
  controller = new RolloutController({ kube: k, namespaces: [ns()], log: silentLogger });
  await controller.start();
  controller.startLeading(new AbortController().signal);
}

/** A JSON endpoint whose answer the test sets; `down()` closes it (connection refused). */
async function endpoint(): Promise<{
  url: string;
  set: (ok: number) => void;
  up: () => Promise<void>;
}> {
  let value = 1;
  let server: Server | undefined;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  onTestFinished(
    () =>
      new Promise<void>((r) =>
        server ? (server.closeAllConnections(), server.close(() => r())) : r(),
      ),
  );
  return {
    url: `http://127.0.0.1:${port}/check`,
    set: (ok) => (value = ok),
    up: async () => {
      server = createServer((_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: value }));
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
  };
}

async function template(k: Kube, name: string, url: string): Promise<void> {
  await k.create({
    apiVersion: API,
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: ns() },
    spec: {
      metrics: [
        {
          name: 'ok',
          count: 1,
          consecutiveErrorLimit: 0,
          successCondition: 'result == 1',
          provider: { web: { url, jsonPath: '{$.ok}', timeoutSeconds: 2 } },
        },
      ],
    },
  });
}

const labels = { app: 'web' };
function podTemplate(version: string, image = 'localhost:5000/sample-app:v1', real = false) {
  return {
    metadata: { labels },
    spec: {
      ...(real
        ? {
            nodeSelector: { 'sluice.dev/real-node': 'true' },
            tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
          }
        : {}),
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'web', image, env: [{ name: 'VERSION', value: version }] }],
    },
  };
}

function rollout(spec: Partial<Rollout['spec']>): Rollout {
  return {
    apiVersion: API,
    kind: 'Rollout',
    metadata: { name: 'web', namespace: ns() },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: podTemplate('v1'),
      strategy: {},
      ...spec,
    },
  };
}

const get = (k: Kube) => k.get<Rollout>(API, 'Rollout', ns(), 'web');

function waitFor(k: Kube, what: string, ok: (r: Rollout) => boolean, ms = 60_000) {
  return eventually(
    what,
    async () => {
      const r = await get(k);
      return r && ok(r) ? r : undefined;
    },
    ms,
  );
}

async function setTemplate(k: Kube, t: object): Promise<void> {
  await k.mergePatch((await get(k))!, { spec: { template: t } });
}

/** What `sluice rollout promote` writes. */
async function promote(k: Kube): Promise<void> {
  await k.mergePatch(
    (await get(k))!,
    { status: { pauseConditions: [] } },
    { subresource: 'status' },
  );
}

async function service(k: Kube, name: string): Promise<void> {
  await k.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns() },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
  });
}

const selectorOf = async (k: Kube, name: string) =>
  (
    await k.get<KubeObject & { spec?: { selector?: Record<string, string> } }>(
      'v1',
      'Service',
      ns(),
      name,
    )
  )?.spec?.selector?.[HASH_LABEL];

async function replicas(k: Kube): Promise<Record<string, number>> {
  const list = await k.list<ReplicaSet>('apps/v1', 'ReplicaSet', { namespace: ns() });
  return Object.fromEntries(
    list.items.map((rs) => [rs.metadata.labels?.[HASH_LABEL] ?? '', rs.spec?.replicas ?? 0]),
  );
}

describe('rollout gates', () => {
  it('onError: Pause holds the canary through a metrics outage; a promote measures again and it goes on', async () => {
    const k = await kube();
    await startController(k);
    const ep = await endpoint();
    await template(k, 'check', ep.url);
    const steps = [
      { setWeight: 50 },
      { analysis: { templates: [{ templateName: 'check' }], onError: 'Pause' as const } },
    ];
    await k.create(rollout({ strategy: { canary: { steps } } }));
    const v1 = (await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRS!;
    await setTemplate(k, podTemplate('v2'));
    const held = await waitFor(k, 'held by the outage', (r) => r.status?.phase === 'Paused');
    expect(held.status?.abort).toBeFalsy();
    expect(held.status?.message).toMatch(/analysis run web-\w+-1 Error: .*held by onError: Pause/);
    expect(held.status?.pauseConditions?.map((c) => c.reason)).toEqual(['AnalysisRunError']);
    // The canary keeps its share; the stable version keeps serving.
    const v2 = held.status!.currentPodHash!;
    expect(await replicas(k)).toEqual({ [v1]: 1, [v2]: 1 });
    await ep.up();
    await promote(k);
    await waitFor(
      k,
      'v2 stable after attempt 2',
      (r) => r.status?.stableRS === v2 && r.status.phase === 'Healthy',
    );
    const runs = await k.list(API, 'AnalysisRun', { namespace: ns() });
    const phases = runs.items.map((r) => [
      r.metadata.name,
      (r['status'] as { phase?: string }).phase,
    ]);
    expect(phases.sort()).toEqual([
      [`web-${v2}-1`, 'Error'],
      [`web-${v2}-1-a2`, 'Successful'],
    ]);
  });

  it('blue-green: a failing pre-promotion analysis keeps the active Service on the stable version', async () => {
    const k = await kube();
    await startController(k);
    const ep = await endpoint();
    await ep.up();
    ep.set(0);
    await template(k, 'check', ep.url);
    await service(k, 'web-active');
    await service(k, 'web-preview');
    const bg = {
      activeService: 'web-active',
      previewService: 'web-preview',
      prePromotionAnalysis: { templates: [{ templateName: 'check' }] },
      abortScaleDownDelaySeconds: 0,
    };
    await k.create(rollout({ strategy: { blueGreen: bg } }));
    const v1 = (await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRS!;
    await setTemplate(k, podTemplate('v2'));
    const aborted = await waitFor(
      k,
      'aborted by the analysis',
      (r) => r.status?.phase === 'Degraded',
    );
    const v2 = aborted.status!.currentPodHash!;
    expect(aborted.status?.message).toBe(
      `RolloutAborted: pre-promotion analysis web-${v2}-pre Failed: metric "ok" assessed Failed due to failed (1) > failureLimit (0): result 0 does not satisfy result == 1; the active Service is back on the stable version`,
    );
    expect(await selectorOf(k, 'web-active')).toBe(v1);
    await eventually('the preview scaled down', async () =>
      (await replicas(k))[v2] === 0 ? true : undefined,
    );
  });

  it('blue-green: post-promotion analysis runs after the switch; the new version is stable only once it passes', async () => {
    const k = await kube();
    await startController(k);
    const ep = await endpoint();
    await template(k, 'check', ep.url);
    await service(k, 'web-active');
    const bg = {
      activeService: 'web-active',
      postPromotionAnalysis: { templates: [{ templateName: 'check' }], onError: 'Pause' as const },
      scaleDownDelaySeconds: 0,
    };
    await k.create(rollout({ strategy: { blueGreen: bg } }));
    const v1 = (await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRS!;
    await setTemplate(k, podTemplate('v2'));
    // The endpoint is down: the post-promotion run errs, onError: Pause holds with both up.
    const held = await waitFor(k, 'held after the switch', (r) => r.status?.phase === 'Paused');
    const v2 = held.status!.currentPodHash!;
    expect(held.status?.stableRS).toBe(v1);
    expect(await selectorOf(k, 'web-active')).toBe(v2);
    expect(await replicas(k)).toEqual({ [v1]: 2, [v2]: 2 });
    await ep.up();
    await promote(k);
    await waitFor(k, 'v2 stable', (r) => r.status?.stableRS === v2 && r.status.phase === 'Healthy');
    await eventually('v1 drained', async () => ((await replicas(k))[v1] === 0 ? true : undefined));
  });

  it('workloadRef: a missing Deployment is a clear condition; once it exists the Rollout takes over and scales it to 0', async () => {
    const k = await kube();
    await startController(k);
    const ro = rollout({
      workloadRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        scaleDown: 'onsuccess',
      },
      strategy: { canary: { steps: [{ setWeight: 50 }] } },
    });
    delete ro.spec.template;
    delete ro.spec.selector;
    await k.create(ro);
    const refused = await waitFor(k, 'ReferenceNotFound', (r) => r.status?.phase === 'Degraded');
    expect(refused.status?.message).toBe(
      `Deployment "web" named in spec.workloadRef does not exist in namespace ${ns()}`,
    );
    expect(refused.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.reason).toBe(
      'ReferenceNotFound',
    );
    expect(await replicas(k)).toEqual({});
    await k.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns() },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: podTemplate('v1') },
    });
    // The Deployment appearing wakes the Rollout (no 10 s retry needed).
    await waitFor(
      k,
      'Healthy from the Deployment template',
      (r) => r.status?.phase === 'Healthy',
      8_000,
    );
    await eventually('the Deployment scaled to 0', async () => {
      const d = await k.get<KubeObject & { spec?: { replicas?: number } }>(
        'apps/v1',
        'Deployment',
        ns(),
        'web',
      );
      return d?.spec?.replicas === 0 ? true : undefined;
    });
  });

  it('progressDeadlineAbort: pods that never start abort the rollout; the stable version keeps every pod', async () => {
    const k = await kube();
    await startController(k);
    await k.create(
      rollout({
        template: podTemplate('v1', 'localhost:5000/sample-app:v1', true),
        progressDeadlineSeconds: 5,
        progressDeadlineAbort: true,
        strategy: {
          canary: { steps: [{ setWeight: 50 }, { pause: {} }], abortScaleDownDelaySeconds: 0 },
        },
      }),
    );
    const v1 = (await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy', 90_000))
      .status!.stableRS!;
    await setTemplate(k, podTemplate('v2', 'localhost:5000/no-such-image:v1', true));
    const aborted = await waitFor(
      k,
      'aborted by the deadline',
      // The abort is written first; the next reconcile (at once) says what it did about it.
      (r) => r.status?.abort === true && /^RolloutAborted:/.test(r.status.message ?? ''),
      30_000,
    );
    const progressing = aborted.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'RolloutAborted' });
    expect(aborted.status?.message).toMatch(
      /^RolloutAborted: update to revision 2 aborted \(the new pods did not become available within progressDeadlineSeconds \(5s\): \d of \d pods available\)/,
    );
    const v2 = aborted.status!.currentPodHash!;
    await eventually('stable full, canary gone', async () => {
      const r = await replicas(k);
      return r[v1] === 2 && r[v2] === 0 ? true : undefined;
    });
  });

  it('Ingress NGINX through the steps; the canary Ingress goes when the rollout completes', async () => {
    const k = await kube();
    await startController(k);
    await service(k, 'web-stable');
    await service(k, 'web-canary');
    await k.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: ns() },
      spec: {
        rules: [
          {
            host: 'shop.example',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web-stable', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const canary = {
      stableService: 'web-stable',
      canaryService: 'web-canary',
      trafficRouting: { nginx: { stableIngress: 'web' } },
      steps: [{ setWeight: 30 }, { pause: {} }],
    };
    await k.create(rollout({ strategy: { canary } }));
    await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const canaryIngress = () => k.get('networking.k8s.io/v1', 'Ingress', ns(), 'web-web-canary');
    expect(await canaryIngress()).toBeUndefined();
    await setTemplate(k, podTemplate('v2'));
    await waitFor(k, 'paused at 30 %', (r) => r.status?.phase === 'Paused');
    const ing = await canaryIngress();
    expect(ing?.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '30',
    });
    await promote(k);
    await waitFor(
      k,
      'v2 stable',
      (r) => r.status?.phase === 'Healthy' && r.status.currentStepIndex === 2,
    );
    await eventually('the canary Ingress deleted', async () =>
      (await canaryIngress()) ? undefined : true,
    );
  });
});
