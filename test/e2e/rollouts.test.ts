/**
 * Rollouts on the real node (canary and blue-green): the sample web app's pods really start, pass readiness and
 * serve; the controller walks setWeight / pause steps by pod share, waits at `pause: {}` until
 * promoted, makes the canary stable at the end, and on abort brings the stable pods back before
 * it moves the weight back and scales the canary down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { CanaryStep, Rollout } from '../../src/api/rollout.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { RolloutController } from '../../src/rollouts/controller.ts';
import { HASH_LABEL, type ReplicaSet } from '../../src/rollouts/replicasets.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, useNamespace } from './harness.ts';

const ns = useNamespace('ro');
let controller: RolloutController | undefined;

beforeAll(async () => {
  const k = await kube();
  await installCrds(k, silentProgress);
});

afterAll(async () => {
  await controller?.stop();
});

/** One controller per test namespace: it watches only that namespace. */
async function startController(k: Kube): Promise<void> {
  await controller?.stop();
  controller = new RolloutController({ kube: k, namespaces: [ns()], log: silentLogger });
  await controller.start();
  controller.startLeading(new AbortController().signal);
}

function rollout(version: string, steps: CanaryStep[], extra: object = {}): Rollout {
  const labels = { app: 'web' };
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: ns() },
    spec: {
      replicas: 4,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { 'sluice.dev/real-node': 'true' },
          tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'web',
              image: 'localhost:5000/sample-app:v1',
              env: [{ name: 'VERSION', value: version }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
      strategy: { canary: { steps, abortScaleDownDelaySeconds: 2 } },
      ...extra,
    },
  };
}

async function get(k: Kube): Promise<Rollout | undefined> {
  return k.get<Rollout>('sluice.dev/v1alpha1', 'Rollout', ns(), 'web');
}

async function waitFor(
  k: Kube,
  what: string,
  ok: (r: Rollout) => boolean,
  timeoutMs = 90_000,
): Promise<Rollout> {
  return eventually(
    what,
    async () => {
      const r = await get(k);
      return r && ok(r) ? r : undefined;
    },
    timeoutMs,
  );
}

/** spec.replicas and available pods of each ReplicaSet, by pod-template hash. */
async function sets(k: Kube): Promise<Record<string, { replicas: number; available: number }>> {
  const list = await k.list<ReplicaSet>('apps/v1', 'ReplicaSet', { namespace: ns() });
  return Object.fromEntries(
    list.items.map((rs) => [
      rs.metadata.labels?.[HASH_LABEL] ?? '',
      { replicas: rs.spec?.replicas ?? 0, available: rs.status?.availableReplicas ?? 0 },
    ]),
  );
}

async function setVersion(k: Kube, version: string): Promise<void> {
  const r = await get(k);
  const template = r!.spec.template as { spec: { containers: Array<{ env: object[] }> } };
  template.spec.containers[0]!.env = [{ name: 'VERSION', value: version }];
  await k.mergePatch(r!, { spec: { template } });
}

describe('Rollouts', () => {
  it('deploys, walks the steps by pod share, waits to be promoted, and makes the canary stable', async () => {
    const k = await kube();
    await startController(k);
    await k.create(
      rollout('v1', [
        { setWeight: 25 },
        { pause: {} },
        { setWeight: 50 },
        { pause: { duration: '2s' } },
      ]),
    );
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    expect((await sets(k))[v1]).toEqual({ replicas: 4, available: 4 });
    // What Prometheus scrapes from the controller says the same.
    const info = await eventually('sluice_rollout_info Healthy', async () => {
      const text = await controller!.metrics.registry.metrics();
      return text.includes(`name="web",phase="Healthy",strategy="canary"`) ? text : undefined;
    });
    expect(info).toContain(
      `sluice_rollout_info{namespace="${ns()}",name="web",phase="Healthy",strategy="canary"} 1`,
    );

    await setVersion(k, 'v2');
    const paused = await waitFor(
      k,
      'paused at step 1',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1,
    );
    const v2 = paused.status!.currentPodHash!;
    expect(v2).not.toBe(v1);
    // 25 % of 4 pods: one canary, three stable, every one of them really serving.
    expect(await sets(k)).toEqual({
      [v1]: { replicas: 3, available: 3 },
      [v2]: { replicas: 1, available: 1 },
    });
    expect(paused.status?.canary?.weights?.canary.weight).toBe(25);
    expect(paused.status?.message).toContain('paused until promoted');

    // `sluice rollout promote`: the pause condition goes.
    await k.mergePatch(paused, { status: { pauseConditions: null } }, { subresource: 'status' });
    const done = await waitFor(
      k,
      'v2 Healthy',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v2,
    );
    expect(done.status?.currentStepIndex).toBe(4);
    expect(await sets(k)).toEqual({
      [v1]: { replicas: 0, available: 0 },
      [v2]: { replicas: 4, available: 4 },
    });
  });

  it('on abort: stable back to full strength first, then the canary goes', async () => {
    const k = await kube();
    await startController(k);
    await k.create(rollout('v1', [{ setWeight: 50 }, { pause: {} }]));
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    await setVersion(k, 'v2-bad');
    const paused = await waitFor(k, 'paused at 50 %', (r) => r.status?.phase === 'Paused');
    const v2 = paused.status!.currentPodHash!;
    expect((await sets(k))[v2]?.available).toBe(2);

    await k.mergePatch(paused, { status: { abort: true } }, { subresource: 'status' });
    const degraded = await waitFor(k, 'Degraded', (r) => r.status?.phase === 'Degraded');
    expect(degraded.status?.message).toMatch(/^RolloutAborted: update to revision 2 aborted/);
    const back = await eventually('stable at 4 and the canary at 0', async () => {
      const s = await sets(k);
      return s[v1]?.available === 4 && s[v2]?.replicas === 0 ? s : undefined;
    });
    expect(back[v1]).toEqual({ replicas: 4, available: 4 });
    const after = await get(k);
    expect(after?.status?.stableRS).toBe(v1);
    expect(after?.status?.canary?.weights?.canary.weight).toBe(0);
  });

  it('says what is wrong with a Rollout it cannot run, and creates nothing', async () => {
    const k = await kube();
    await startController(k);
    // What the schema can say, the API server refuses at once, naming the field.
    const over = rollout('v1', [{ setWeight: 120 }]);
    await expect(k.create(over)).rejects.toThrow(
      /steps\[0\]\.setWeight in body should be less than or equal to 100/,
    );
    // The rest, the controller says in the status.
    const bad = rollout('v1', [{ setWeight: 20 }]);
    await k.create({ ...bad, spec: { ...bad.spec, template: undefined } });
    const r = await waitFor(k, 'Degraded', (x) => x.status?.phase === 'Degraded');
    expect(r.status?.message).toContain('spec.template is missing');
    expect(r.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.status).toBe('True');
    expect(await sets(k)).toEqual({});
  });

  it('blue-green: preview beside active, promoted by hand, the active Service switches, the old version drains', async () => {
    const k = await kube();
    await startController(k);
    for (const name of ['web-active', 'web-preview']) {
      await k.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns() },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    }
    const bg = rollout('blue', []);
    bg.spec.replicas = 2;
    bg.spec.strategy = {
      blueGreen: {
        activeService: 'web-active',
        previewService: 'web-preview',
        autoPromotionEnabled: false,
        scaleDownDelaySeconds: 2,
      },
    };
    await k.create(bg);
    const first = await waitFor(k, 'blue Healthy', (r) => r.status?.phase === 'Healthy');
    const blue = first.status!.stableRS!;
    const selector = async (svc: string): Promise<string | undefined> =>
      (
        (await k.get('v1', 'Service', ns(), svc)) as
          { spec?: { selector?: Record<string, string> } } | undefined
      )?.spec?.selector?.[HASH_LABEL];
    expect(await selector('web-active')).toBe(blue);

    await setVersion(k, 'green');
    const paused = await waitFor(k, 'green previewed', (r) => r.status?.phase === 'Paused');
    const green = paused.status!.currentPodHash!;
    expect(await selector('web-active')).toBe(blue);
    expect(await selector('web-preview')).toBe(green);
    expect((await sets(k))[green]?.available).toBe(2);

    await k.mergePatch(paused, { status: { pauseConditions: null } }, { subresource: 'status' });
    await waitFor(k, 'green active', (r) => r.status?.stableRS === green);
    expect(await selector('web-active')).toBe(green);
    // The old version drains after scaleDownDelaySeconds.
    const drained = await eventually('blue scaled down', async () => {
      const s = await sets(k);
      return s[blue]?.replicas === 0 ? s : undefined;
    });
    expect(drained[green]).toEqual({ replicas: 2, available: 2 });
    expect((await get(k))?.status?.phase).toBe('Healthy');
  });

  it('a Service named in the strategy that does not exist: a clear condition, nothing started', async () => {
    const k = await kube();
    await startController(k);
    const bg = rollout('v1', []);
    bg.spec.strategy = { blueGreen: { activeService: 'no-such-service' } };
    await k.create(bg);
    const r = await waitFor(k, 'Degraded', (x) => x.status?.phase === 'Degraded');
    expect(r.status?.message).toBe(
      `Service "no-such-service" named in spec.strategy.blueGreen.activeService does not exist in namespace ${ns()}`,
    );
    expect(await sets(k)).toEqual({});
  });

  /** An AnalysisTemplate whose one metric is a Job on the real node exiting `code`. */
  async function jobTemplate(
    k: Kube,
    name: string,
    code: number,
    script = `exit ${code}`,
  ): Promise<void> {
    await k.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name, namespace: ns() },
      spec: {
        metrics: [
          {
            name: 'smoke',
            provider: {
              job: {
                spec: {
                  backoffLimit: 0,
                  template: {
                    spec: {
                      nodeSelector: { 'sluice.dev/real-node': 'true' },
                      tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
                      restartPolicy: 'Never',
                      containers: [
                        {
                          name: 'check',
                          image: 'localhost:5000/busybox:latest',
                          command: ['sh', '-c', script],
                        },
                      ],
                    },
                  },
                },
              },
            },
          },
        ],
      },
    });
  }

  it('an analysis step that passes lets the canary go on to become stable', async () => {
    const k = await kube();
    await startController(k);
    await jobTemplate(k, 'smoke-ok', 0);
    await k.create(
      rollout('v1', [
        { setWeight: 50 },
        { analysis: { templates: [{ templateName: 'smoke-ok' }] } },
      ]),
    );
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    await setVersion(k, 'v2');
    const done = await waitFor(
      k,
      'v2 stable after its analysis',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRS !== v1,
    );
    const runs = await k.list('sluice.dev/v1alpha1', 'AnalysisRun', { namespace: ns() });
    expect(runs.items.map((r) => (r['status'] as { phase?: string }).phase)).toEqual([
      'Successful',
    ]);
    expect(runs.items[0]?.metadata.name).toBe(`web-${done.status?.stableRS}-1`);
  });

  it('an analysis step that fails aborts: the stable version serves again', async () => {
    const k = await kube();
    await startController(k);
    await jobTemplate(k, 'smoke-bad', 1);
    await k.create(
      rollout('v1', [
        { setWeight: 50 },
        { analysis: { templates: [{ templateName: 'smoke-bad' }] } },
      ]),
    );
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    await setVersion(k, 'v2');
    const degraded = await waitFor(
      k,
      'aborted by the analysis',
      (r) => r.status?.phase === 'Degraded',
    );
    expect(degraded.status?.message).toMatch(/RolloutAborted: .*analysis run web-\w+-1 Failed/);
    expect(degraded.status?.abort).toBe(true);
    await eventually('the stable version back at full strength', async () =>
      (await sets(k))[v1]?.available === 4 ? true : undefined,
    );
  });

  it('a missing AnalysisTemplate is a clear condition, and the canary does not start', async () => {
    const k = await kube();
    await startController(k);
    await k.create(
      rollout('v1', [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'nope' }] } }]),
    );
    const r = await waitFor(k, 'Degraded', (x) => x.status?.phase === 'Degraded');
    expect(r.status?.message).toMatch(/nope/);
    expect(r.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.reason).toBe(
      'ReferenceNotFound',
    );
    expect(await sets(k)).toEqual({});
  });

  it('aborting stops the analysis still measuring the canary', async () => {
    const k = await kube();
    await startController(k);
    await jobTemplate(k, 'slow', 0, 'sleep 300');
    await k.create(
      rollout('v1', [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'slow' }] } }]),
    );
    await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    await setVersion(k, 'v2');
    const measuring = await waitFor(
      k,
      'the analysis running',
      (r) => r.status?.canary?.currentStepAnalysisRunStatus?.status === 'Running',
    );
    const run = measuring.status!.canary!.currentStepAnalysisRunStatus!.name;
    await k.mergePatch(measuring, { status: { abort: true } }, { subresource: 'status' });
    const ended = await eventually('the run terminated and ended', async () => {
      const r = await k.get<
        KubeObject & { spec: { terminate?: boolean }; status?: { phase?: string } }
      >('sluice.dev/v1alpha1', 'AnalysisRun', ns(), run);
      return r?.spec.terminate && r.status?.phase !== 'Running' ? r : undefined;
    });
    expect(ended.spec.terminate).toBe(true);
    expect((await get(k))?.status?.phase).toBe('Degraded');
  });

  it('with a Gateway API router: stable keeps every pod, the HTTPRoute carries the weight', async () => {
    const k = await kube();
    await startController(k);
    for (const name of ['web-stable', 'web-canary']) {
      await k.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns() },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    }
    await k.create({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: ns() },
      spec: {
        parentRefs: [{ name: 'gateway' }],
        rules: [
          {
            backendRefs: [
              { name: 'web-stable', port: 80, weight: 100 },
              { name: 'web-canary', port: 80, weight: 0 },
            ],
          },
        ],
      },
    });
    const ro = rollout('v1', [{ setWeight: 30 }, { pause: {} }]);
    ro.spec.strategy.canary = {
      ...ro.spec.strategy.canary,
      stableService: 'web-stable',
      canaryService: 'web-canary',
      trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web' } } },
    };
    await k.create(ro);
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    const weights = async (): Promise<Record<string, number | undefined>> => {
      const route = (await k.get('gateway.networking.k8s.io/v1', 'HTTPRoute', ns(), 'web')) as {
        spec?: { rules?: Array<{ backendRefs?: Array<{ name: string; weight?: number }> }> };
      };
      return Object.fromEntries(
        (route.spec?.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight]),
      );
    };
    const selects = async (svc: string): Promise<string | undefined> =>
      (
        (await k.get('v1', 'Service', ns(), svc)) as {
          spec?: { selector?: Record<string, string> };
        }
      ).spec?.selector?.[HASH_LABEL];

    await setVersion(k, 'v2');
    const paused = await waitFor(k, 'paused at 30 %', (r) => r.status?.phase === 'Paused');
    const v2 = paused.status!.currentPodHash!;
    // The stable version keeps all 4 pods; the canary gets ceil(30 % of 4) = 2.
    expect(await sets(k)).toEqual({
      [v1]: { replicas: 4, available: 4 },
      [v2]: { replicas: 2, available: 2 },
    });
    expect(await weights()).toEqual({ 'web-stable': 70, 'web-canary': 30 });
    expect([await selects('web-stable'), await selects('web-canary')]).toEqual([v1, v2]);

    await k.mergePatch(paused, { status: { pauseConditions: null } }, { subresource: 'status' });
    await waitFor(k, 'v2 stable', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v2);
    expect(await weights()).toEqual({ 'web-stable': 100, 'web-canary': 0 });
    expect([await selects('web-stable'), await selects('web-canary')]).toEqual([v2, v2]);
  });

  it('a background analysis that fails aborts the rollout while it waits at a pause', async () => {
    const k = await kube();
    await startController(k);
    await jobTemplate(k, 'bg-bad', 1);
    const ro = rollout('v1', [{ setWeight: 25 }, { pause: {} }]);
    ro.spec.strategy.canary = {
      ...ro.spec.strategy.canary,
      analysis: { templates: [{ templateName: 'bg-bad' }], startingStep: 1 },
    };
    await k.create(ro);
    const first = await waitFor(k, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = first.status!.stableRS!;
    await setVersion(k, 'v2');
    const degraded = await waitFor(k, 'aborted', (r) => r.status?.phase === 'Degraded');
    expect(degraded.status?.message).toMatch(/background analysis run web-\w+-bg Failed/);
    await eventually('the stable version back at full strength', async () =>
      (await sets(k))[v1]?.available === 4 ? true : undefined,
    );
  });
});
