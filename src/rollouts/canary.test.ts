import { describe, expect, it } from 'vitest';
import type { CanaryStep, Rollout } from '../api/rollout.ts';
import {
  currentWeight,
  durationMs,
  planCanary,
  validateCanary,
  type ReplicaSetInfo,
} from './canary.ts';

function rollout(
  steps: CanaryStep[],
  replicas = 10,
  extra: Partial<Rollout['spec']> = {},
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns', generation: 1 },
    spec: { replicas, strategy: { canary: { steps } }, ...extra },
  };
}

/** A world where pods become available at once: plan, apply, repeat until nothing moves. */
function settle(ro: Rollout, sets: Map<string, ReplicaSetInfo>, hash: string, now = 0) {
  let plan = planCanary({ rollout: ro, newHash: hash, sets: [...sets.values()], now });
  for (let i = 0; i < 50; i++) {
    if (!sets.has(hash))
      sets.set(hash, {
        name: `web-${hash}`,
        hash,
        revision: sets.size + 1,
        replicas: 0,
        availableReplicas: 0,
      });
    let moved = false;
    for (const [h, n] of plan.replicas) {
      const s = sets.get(h)!;
      if (s.replicas !== n || s.availableReplicas !== n) moved = true;
      sets.set(h, { ...s, replicas: n, availableReplicas: n });
    }
    const statusChanged = JSON.stringify(ro.status) !== JSON.stringify(plan.status);
    ro.status = plan.status;
    if (!moved && !statusChanged) break;
    plan = planCanary({ rollout: ro, newHash: hash, sets: [...sets.values()], now });
  }
  return plan;
}

const sizes = (sets: Map<string, ReplicaSetInfo>) =>
  Object.fromEntries([...sets].map(([h, s]) => [h, s.replicas]));

describe('canary plan', () => {
  it('deploys the first version straight to full size and Healthy', () => {
    const ro = rollout([{ setWeight: 20 }, { pause: {} }]);
    const sets = new Map<string, ReplicaSetInfo>();
    const plan = settle(ro, sets, 'v1');
    expect(sizes(sets)).toEqual({ v1: 10 });
    expect(plan.status).toMatchObject({ phase: 'Healthy', stableRS: 'v1', currentStepIndex: 2 });
  });

  it('walks setWeight, waits at pause {} until promoted, then finishes and scales the old version down', () => {
    const ro = rollout([
      { setWeight: 20 },
      { pause: {} },
      { setWeight: 50 },
      { pause: { duration: '10s' } },
    ]);
    const sets = new Map<string, ReplicaSetInfo>();
    settle(ro, sets, 'v1');
    let plan = settle(ro, sets, 'v2', 1000);
    expect(sizes(sets)).toEqual({ v1: 8, v2: 2 });
    expect(plan.status).toMatchObject({
      phase: 'Paused',
      currentStepIndex: 1,
      controllerPause: true,
    });
    expect(plan.status.pauseConditions?.[0]?.reason).toBe('CanaryPauseStep');
    expect(plan.weight).toBe(20);
    // `sluice rollout promote`: the pause condition is cleared.
    ro.status = { ...ro.status, pauseConditions: [] };
    plan = settle(ro, sets, 'v2', 2000);
    expect(sizes(sets)).toEqual({ v1: 5, v2: 5 });
    expect(plan.status).toMatchObject({ currentStepIndex: 3, phase: 'Paused' });
    expect(plan.requeueAfterMs).toBe(10_000);
    // Still paused at 11 s after it started at 2 s... not yet at 5 s.
    expect(settle(ro, sets, 'v2', 5000).status.currentStepIndex).toBe(3);
    plan = settle(ro, sets, 'v2', 12_001);
    expect(sizes(sets)).toEqual({ v1: 0, v2: 10 });
    expect(plan.status).toMatchObject({ phase: 'Healthy', stableRS: 'v2', currentStepIndex: 4 });
  });

  it('on abort: stable back to full size first, weight to 0 once it is available, canary down after the delay', () => {
    const ro = rollout([{ setWeight: 40 }, { pause: {} }]);
    ro.spec.strategy.canary!.abortScaleDownDelaySeconds = 5;
    const sets = new Map<string, ReplicaSetInfo>();
    settle(ro, sets, 'v1');
    settle(ro, sets, 'v2', 0);
    expect(sizes(sets)).toEqual({ v1: 6, v2: 4 });
    ro.status = { ...ro.status, abort: true, abortedAt: new Date(1000).toISOString() };
    // Before the stable pods are back, traffic stays where it was.
    const first = planCanary({ rollout: ro, newHash: 'v2', sets: [...sets.values()], now: 1000 });
    expect(first.replicas.get('v1')).toBe(10);
    expect(first.weight).toBe(40);
    expect(first.status.phase).toBe('Degraded');
    sets.set('v1', { ...sets.get('v1')!, replicas: 10, availableReplicas: 10 });
    const second = planCanary({ rollout: ro, newHash: 'v2', sets: [...sets.values()], now: 2000 });
    expect(second.weight).toBe(0);
    expect(second.replicas.get('v2')).toBe(4);
    expect(second.requeueAfterMs).toBe(4000);
    const third = planCanary({ rollout: ro, newHash: 'v2', sets: [...sets.values()], now: 6000 });
    expect(third.replicas.get('v2')).toBe(0);
    expect(third.status.message).toMatch(/^RolloutAborted: update to revision 2 aborted/);
  });

  it('restarts the steps when a new revision arrives mid-rollout', () => {
    const ro = rollout([{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: {} }]);
    const sets = new Map<string, ReplicaSetInfo>();
    settle(ro, sets, 'v1');
    settle(ro, sets, 'v2');
    ro.status = { ...ro.status, pauseConditions: [] };
    settle(ro, sets, 'v2');
    expect(ro.status?.currentStepIndex).toBe(3);
    const plan = settle(ro, sets, 'v3');
    expect(plan.status.currentStepIndex).toBe(1);
    expect(plan.status.currentPodHash).toBe('v3');
    expect(sets.get('v3')?.replicas).toBe(2);
  });

  it('promote --full skips the remaining steps', () => {
    const ro = rollout([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }]);
    const sets = new Map<string, ReplicaSetInfo>();
    settle(ro, sets, 'v1');
    settle(ro, sets, 'v2');
    ro.status = { ...ro.status, promoteFull: true };
    const plan = settle(ro, sets, 'v2');
    expect(plan.status).toMatchObject({ phase: 'Healthy', stableRS: 'v2', promoteFull: false });
  });

  it('spec.paused holds the rollout where it is', () => {
    const ro = rollout([{ setWeight: 10 }, { setWeight: 50 }]);
    const sets = new Map<string, ReplicaSetInfo>();
    settle(ro, sets, 'v1');
    ro.spec.paused = true;
    const plan = settle(ro, sets, 'v2');
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.currentStepIndex).toBe(0);
  });

  it.each([
    [[{ setWeight: 101 }], /setWeight 101 is outside 0-100/],
    [[{ pause: { duration: 'soon' } }], /is not a duration/],
    [[{ experiment: {} }], /experiment steps are not supported/],
  ])('rejects %j', (steps, message) => {
    expect(validateCanary(rollout(steps as CanaryStep[]))).toMatch(message);
  });

  it('rejects maxSurge 0 with maxUnavailable 0', () => {
    const ro = rollout([]);
    ro.spec.strategy.canary = { maxSurge: 0, maxUnavailable: 0 };
    expect(validateCanary(ro)).toMatch(/cannot both be 0/);
  });

  it.each([
    [10, 10_000],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['x', undefined],
  ])('duration %s = %s ms', (d, ms) => expect(durationMs(d)).toBe(ms));

  it('the weight in force is the last setWeight before the step', () => {
    const steps: CanaryStep[] = [{ setWeight: 10 }, { pause: {} }, { setWeight: 30 }];
    expect([0, 1, 2, 3].map((i) => currentWeight(steps, i))).toEqual([0, 10, 10, 30]);
  });

  it('with a router: the stable keeps every pod, unless dynamicStableScale gives up the share of traffic already moved', () => {
    const steps: CanaryStep[] = [
      { setWeight: 20 },
      { pause: {} },
      { setWeight: 60 },
      { pause: {} },
    ];
    for (const [dynamic, stableAtPauses] of [
      [false, [10, 10]],
      [true, [8, 4]],
    ] as const) {
      const ro = rollout(steps);
      ro.spec.strategy.canary = { ...ro.spec.strategy.canary, dynamicStableScale: dynamic };
      const sets = new Map<string, ReplicaSetInfo>();
      settle(ro, sets, 'v1');
      ro.metadata.generation = 2;
      const settleRouted = () => {
        let plan = planCanary({
          rollout: ro,
          newHash: 'v2',
          sets: [...sets.values()],
          now: 0,
          router: true,
        });
        for (let i = 0; i < 20; i++) {
          if (!sets.has('v2'))
            sets.set('v2', {
              name: 'web-v2',
              hash: 'v2',
              revision: 2,
              replicas: 0,
              availableReplicas: 0,
            });
          for (const [h, n] of plan.replicas)
            sets.set(h, { ...sets.get(h)!, replicas: n, availableReplicas: n });
          ro.status = plan.status;
          plan = planCanary({
            rollout: ro,
            newHash: 'v2',
            sets: [...sets.values()],
            now: 0,
            router: true,
          });
        }
        return plan;
      };
      let plan = settleRouted();
      expect(plan.weight).toBe(20);
      expect(sizes(sets)).toEqual({ v1: stableAtPauses[0], v2: 2 });
      ro.status = { ...ro.status, pauseConditions: [] };
      plan = settleRouted();
      expect(plan.weight).toBe(60);
      expect(sizes(sets)).toEqual({ v1: stableAtPauses[1], v2: 6 });
    }
  });
});
