import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutStatus } from '../../api/rollout.ts';
import { actualWeightOf, setWeightOf } from './progress.ts';

function ro(status: RolloutStatus): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
    status,
  };
}
const weights = (canary: number) => ({
  weights: { canary: { weight: canary }, stable: { weight: 100 - canary } },
});

describe('weights as `get` shows them', () => {
  it.each([
    [
      'paused at 20 %',
      { currentPodHash: 'b', stableRS: 'a', currentStepIndex: 1, canary: weights(20) },
      20,
      20,
    ],
    // The router went back to 0 % for the canary ReplicaSet, but the new version is everything.
    [
      'complete',
      { currentPodHash: 'b', stableRS: 'b', currentStepIndex: 2, canary: weights(0) },
      100,
      100,
    ],
    ['aborted', { currentPodHash: 'b', stableRS: 'a', abort: true, canary: weights(0) }, 0, 0],
  ] as const)('%s: set %i, actual %i', (_what, status, set, actual) => {
    expect(setWeightOf(ro(status))).toBe(set);
    expect(actualWeightOf(ro(status), [])).toBe(actual);
  });
});
