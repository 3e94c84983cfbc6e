import { describe, expect, it } from 'vitest';
import type { BlueGreenStrategy, Rollout } from '../api/rollout.ts';
import { planBlueGreen, type BlueGreenInput } from './bluegreen.ts';

type Set = BlueGreenInput['sets'][number];

function rollout(bg: Partial<BlueGreenStrategy> = {}): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns', generation: 1 },
    spec: {
      replicas: 3,
      strategy: { blueGreen: { activeService: 'web', previewService: 'web-preview', ...bg } },
    },
  };
}

/** Pods are available as soon as asked for; returns the last plan. */
function settle(ro: Rollout, sets: Map<string, Set>, hash: string, now: number) {
  let plan = planBlueGreen({ rollout: ro, newHash: hash, sets: [...sets.values()], now });
  for (let i = 0; i < 30; i++) {
    if (!sets.has(hash))
      sets.set(hash, {
        name: hash,
        hash,
        revision: sets.size + 1,
        replicas: 0,
        availableReplicas: 0,
      });
    let moved = JSON.stringify(ro.status) !== JSON.stringify(plan.status);
    for (const [h, n] of plan.replicas) {
      const s = sets.get(h)!;
      if (s.replicas !== n || s.availableReplicas !== n) moved = true;
      sets.set(h, { ...s, replicas: n, availableReplicas: n });
    }
    for (const [h, at] of plan.scaleDownAt) {
      const s = sets.get(h)!;
      const { scaleDownAt: _old, ...rest } = s;
      sets.set(h, at === null ? rest : { ...rest, scaleDownAt: at });
    }
    ro.status = plan.status;
    if (!moved) break;
    plan = planBlueGreen({ rollout: ro, newHash: hash, sets: [...sets.values()], now });
  }
  return plan;
}

const sizes = (sets: Map<string, Set>) =>
  Object.fromEntries([...sets].map(([h, s]) => [h, s.replicas]));

describe('blue-green plan', () => {
  it('promotes automatically once the preview is ready, and drains the old version after the delay', () => {
    const ro = rollout();
    const sets = new Map<string, Set>();
    expect(settle(ro, sets, 'blue', 0).activeSelector).toBe('blue');
    let plan = settle(ro, sets, 'green', 1000);
    expect(plan.activeSelector).toBe('green');
    expect(plan.status.stableRS).toBe('green');
    // Both up for scaleDownDelaySeconds (30 s), then blue goes.
    expect(sizes(sets)).toEqual({ blue: 3, green: 3 });
    expect(plan.requeueAfterMs).toBe(30_000);
    plan = settle(ro, sets, 'green', 31_001);
    expect(sizes(sets)).toEqual({ blue: 0, green: 3 });
    expect(plan.status.phase).toBe('Healthy');
  });

  it('without auto-promotion: the preview waits (at previewReplicaCount) behind the preview Service until promoted', () => {
    const ro = rollout({ autoPromotionEnabled: false, previewReplicaCount: 1 });
    const sets = new Map<string, Set>();
    settle(ro, sets, 'blue', 0);
    let plan = settle(ro, sets, 'green', 1000);
    expect(plan).toMatchObject({ activeSelector: 'blue', previewSelector: 'green' });
    expect(plan.status.phase).toBe('Paused');
    expect(sizes(sets)).toEqual({ blue: 3, green: 1 });
    ro.status = { ...ro.status, pauseConditions: [] };
    plan = settle(ro, sets, 'green', 2000);
    expect(plan.activeSelector).toBe('green');
    expect(sizes(sets)).toEqual({ blue: 3, green: 3 });
  });

  it('autoPromotionSeconds promotes after the wait', () => {
    const ro = rollout({ autoPromotionSeconds: 10 });
    const sets = new Map<string, Set>();
    settle(ro, sets, 'blue', 0);
    let plan = settle(ro, sets, 'green', 1000);
    expect(plan.status.message).toBe('promoting automatically in 10s');
    expect(plan.requeueAfterMs).toBe(10_000);
    plan = settle(ro, sets, 'green', 11_000);
    expect(plan.activeSelector).toBe('green');
  });

  it('abort: the active Service goes back to the stable version at once; the preview goes later', () => {
    const ro = rollout({ autoPromotionEnabled: false, abortScaleDownDelaySeconds: 5 });
    const sets = new Map<string, Set>();
    settle(ro, sets, 'blue', 0);
    settle(ro, sets, 'green', 1000);
    ro.status = { ...ro.status, abort: true, abortedAt: new Date(2000).toISOString() };
    let plan = planBlueGreen({
      rollout: ro,
      newHash: 'green',
      sets: [...sets.values()],
      now: 2000,
    });
    expect(plan.activeSelector).toBe('blue');
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.replicas.get('green')).toBe(3);
    plan = planBlueGreen({ rollout: ro, newHash: 'green', sets: [...sets.values()], now: 7000 });
    expect(plan.replicas.get('green')).toBe(0);
    expect(plan.replicas.get('blue')).toBe(3);
  });
});
