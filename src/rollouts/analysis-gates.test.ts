import { describe, expect, it } from 'vitest';
import type { BlueGreenStrategy, CanaryStrategy, Rollout } from '../api/rollout.ts';
import { planBlueGreen, type BlueGreenInput } from './bluegreen.ts';
import { planCanary, type CanaryInput, type ReplicaSetInfo } from './canary.ts';
import { judgeRun } from './onerror.ts';
import type { StepRun } from './runs.ts';

const T = [{ templateName: 'rate' }];

function canaryRollout(c: CanaryStrategy): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns', generation: 2 },
    spec: { replicas: 4, strategy: { canary: c } },
    status: { stableRS: 'v1', currentPodHash: 'v2', currentStepIndex: 0 },
  };
}

const rs = (hash: string, n: number, revision: number): ReplicaSetInfo => ({
  name: `web-${hash}`,
  hash,
  revision,
  replicas: n,
  availableReplicas: n,
});

function run(phase: string | undefined, attempt = 1, message?: string): StepRun {
  return { name: `web-v2-x${attempt > 1 ? `-a${attempt}` : ''}`, phase, message, attempt };
}

/** Plans with the pods at the sizes asked for (two rounds), as the controller would see them. */
function canary(ro: Rollout, extra: Partial<CanaryInput> = {}) {
  let sets = [rs('v1', 4, 1), rs('v2', 0, 2)];
  let plan = planCanary({ rollout: ro, newHash: 'v2', sets, now: 1000, ...extra });
  for (let i = 0; i < 5; i++) {
    sets = sets.map((s) => ({ ...s, ...sizeOf(plan.replicas.get(s.hash) ?? s.replicas) }));
    ro.status = plan.status;
    plan = planCanary({ rollout: ro, newHash: 'v2', sets, now: 1000, ...extra });
  }
  return plan;
}
const sizeOf = (n: number) => ({ replicas: n, availableReplicas: n });

describe('judgeRun', () => {
  it.each([
    [undefined, 'Abort', 'start'],
    ['Running', 'Abort', 'running'],
    ['Successful', 'Abort', 'passed'],
    ['Failed', 'Abort', 'abort'],
    ['Failed', 'Pause', 'abort'],
    ['Error', 'Abort', 'abort'],
    ['Error', 'Pause', 'hold'],
    ['Inconclusive', 'Abort', 'hold'],
  ] as const)('%s with onError %s: %s', (phase, onError, kind) => {
    const r = phase === undefined ? undefined : run(phase, 1, 'Prometheus unreachable');
    expect(judgeRun(r, onError, 'analysis run').kind).toBe(kind);
  });

  it('names the run and the provider outage in the abort message', () => {
    const v = judgeRun(run('Error', 1, 'rate: Prometheus unreachable'), 'Abort', 'analysis run');
    expect(v).toEqual({
      kind: 'abort',
      message: 'analysis run web-v2-x Error: rate: Prometheus unreachable',
    });
  });
});

describe('canary analysis step', () => {
  const steps = [{ setWeight: 25 }, { analysis: { templates: T } }, { setWeight: 50 }];

  it('starts a run, waits for it, aborts on Failed', () => {
    const ro = canaryRollout({ steps });
    expect(canary(ro).startAnalysis).toBe(1);
    const failed = canary(ro, { stepRuns: new Map([[1, run('Failed', 1, 'rate 0.5 < 0.95')]]) });
    expect(failed.status.abort).toBe(true);
    expect(failed.status.message).toContain('analysis run web-v2-x Failed: rate 0.5 < 0.95');
  });

  it('onError: Pause holds on Error instead of aborting; a promote measures again (attempt 2)', () => {
    const ro = canaryRollout({
      steps: [steps[0]!, { analysis: { templates: T, onError: 'Pause' } }],
    });
    const errored = new Map([[1, run('Error', 1, 'Prometheus unreachable')]]);
    const held = canary(ro, { stepRuns: errored });
    expect(held.status.abort).toBeFalsy();
    expect(held.status.phase).toBe('Paused');
    expect(held.status.message).toMatch(/Error: Prometheus unreachable; held by onError: Pause/);
    expect(held.status.pauseConditions?.map((c) => c.reason)).toEqual(['AnalysisRunError']);
    expect(held.weight).toBe(25);
    // `sluice rollout promote` clears the pause conditions.
    ro.status = { ...held.status, pauseConditions: [] };
    const again = planCanary({
      rollout: ro,
      newHash: 'v2',
      sets: [rs('v1', 3, 1), rs('v2', 1, 2)],
      now: 2000,
      stepRuns: errored,
    });
    expect(again).toMatchObject({ startAnalysis: 1, attempt: 2 });
    expect(again.status.phase).toBe('Progressing');
    // The second attempt succeeds: the canary becomes stable.
    ro.status = again.status;
    const done = canary(ro, { stepRuns: new Map([[1, run('Successful', 2)]]) });
    expect(done.status).toMatchObject({ stableRS: 'v2', phase: 'Healthy' });
  });

  it('Inconclusive holds until promoted, then goes on without measuring again', () => {
    const ro = canaryRollout({ steps });
    const runs = new Map([[1, run('Inconclusive')]]);
    const held = canary(ro, { stepRuns: runs });
    expect(held.status.phase).toBe('Paused');
    ro.status = { ...held.status, pauseConditions: [] };
    const next = canary(ro, { stepRuns: runs });
    expect(next.startAnalysis).toBeUndefined();
    expect(next.status.stableRS).toBe('v2');
  });
});

describe('canary background analysis', () => {
  const steps = [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }];

  it('Error aborts by default, naming the outage', () => {
    const ro = canaryRollout({ steps, analysis: { templates: T } });
    const plan = canary(ro, { backgroundRun: run('Error', 1, 'Prometheus unreachable') });
    expect(plan.status.abort).toBe(true);
    expect(plan.status.message).toContain(
      'background analysis run web-v2-x Error: Prometheus unreachable',
    );
  });

  it('onError: Pause holds the steps where they are; a promote starts attempt 2', () => {
    const ro = canaryRollout({ steps, analysis: { templates: T, onError: 'Pause' } });
    ro.status = { ...ro.status, currentStepIndex: 2 };
    const errored = run('Error', 1, 'Prometheus unreachable');
    const held = canary(ro, { backgroundRun: errored });
    expect(held.status.abort).toBeFalsy();
    expect(held.status.currentStepIndex).toBe(2);
    expect(held.weight).toBe(25);
    expect(held.status.phase).toBe('Paused');
    ro.status = { ...held.status, pauseConditions: [] };
    const again = planCanary({
      rollout: ro,
      newHash: 'v2',
      sets: [rs('v1', 3, 1), rs('v2', 1, 2)],
      now: 2000,
      backgroundRun: errored,
    });
    expect(again).toMatchObject({ startBackground: true, backgroundAttempt: 2 });
  });
});

function bgRollout(bg: Partial<BlueGreenStrategy>): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns', generation: 2 },
    spec: { replicas: 2, strategy: { blueGreen: { activeService: 'web', ...bg } } },
    status: { stableRS: 'blue', currentPodHash: 'green' },
  };
}

function blueGreen(ro: Rollout, extra: Partial<BlueGreenInput> = {}) {
  let sets: BlueGreenInput['sets'] = [
    { ...rs('blue', 2, 1), name: 'blue' },
    { ...rs('green', 0, 2), name: 'green' },
  ];
  let plan = planBlueGreen({ rollout: ro, newHash: 'green', sets, now: 1000, ...extra });
  for (let i = 0; i < 5; i++) {
    sets = sets.map((s) => ({ ...s, ...sizeOf(plan.replicas.get(s.hash) ?? s.replicas) }));
    ro.status = plan.status;
    plan = planBlueGreen({ rollout: ro, newHash: 'green', sets, now: 1000, ...extra });
  }
  return plan;
}

describe('blue-green analysis', () => {
  it('pre-promotion: starts once the preview is up; promotion waits for Successful', () => {
    const ro = bgRollout({ prePromotionAnalysis: { templates: T } });
    const first = blueGreen(ro);
    expect(first.startAnalysis).toBe('prePromotion');
    expect(first.activeSelector).toBe('blue');
    const running = blueGreen(ro, { preRun: run('Running') });
    expect(running.activeSelector).toBe('blue');
    expect(running.status.blueGreen?.prePromotionAnalysisRunStatus?.status).toBe('Running');
    const passed = blueGreen(ro, { preRun: run('Successful') });
    expect(passed.activeSelector).toBe('green');
  });

  it('pre-promotion Failed aborts: active stays on the stable version, the message says why', () => {
    const ro = bgRollout({ prePromotionAnalysis: { templates: T } });
    const plan = blueGreen(ro, { preRun: run('Failed', 1, 'rate 0.5 < 0.95') });
    expect(plan.activeSelector).toBe('blue');
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toBe(
      'RolloutAborted: pre-promotion analysis web-v2-x Failed: rate 0.5 < 0.95; the active Service is back on the stable version',
    );
  });

  it('post-promotion: active switches, the old version stays up, stable only once it succeeds', () => {
    const ro = bgRollout({ postPromotionAnalysis: { templates: T } });
    const first = blueGreen(ro);
    expect(first.startAnalysis).toBe('postPromotion');
    expect(first.activeSelector).toBe('green');
    expect(first.status.stableRS).toBe('blue');
    expect(first.replicas.get('blue')).toBe(2);
    const passed = blueGreen(ro, { postRun: run('Successful') });
    expect(passed.status).toMatchObject({ stableRS: 'green', phase: 'Healthy' });
  });

  it('post-promotion Failed switches the active Service straight back', () => {
    const ro = bgRollout({ postPromotionAnalysis: { templates: T } });
    blueGreen(ro);
    const failed = blueGreen(ro, { postRun: run('Failed', 1, 'rate 0.5 < 0.95') });
    expect(failed.activeSelector).toBe('blue');
    expect(failed.replicas.get('blue')).toBe(2);
    expect(failed.status).toMatchObject({ phase: 'Degraded', stableRS: 'blue', abort: true });
  });

  it('promote --full skips the pre-promotion analysis', () => {
    const ro = bgRollout({ prePromotionAnalysis: { templates: T } });
    blueGreen(ro);
    ro.status = { ...ro.status, promoteFull: true };
    expect(blueGreen(ro).activeSelector).toBe('green');
  });
});
