/** What promote, abort, retry, pause and restart write, by the state of the Rollout. */
import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutStatus } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import { abortPlan, pausePlan, promotePlan, restartPlan, retryPlan, type Plan } from './actions.ts';

const NOW = new Date('2030-01-01T12:00:00.123Z');

function rollout(
  status: RolloutStatus,
  spec: { paused?: boolean; blueGreen?: boolean } = {},
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', generation: 2 },
    spec: {
      ...(spec.paused !== undefined ? { paused: spec.paused } : {}),
      strategy: spec.blueGreen
        ? { blueGreen: { activeService: 'web' } }
        : { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    },
    status: { observedGeneration: '2', ...status },
  };
}

const pausedAtStep: RolloutStatus = {
  phase: 'Paused',
  currentPodHash: 'new',
  stableRS: 'old',
  currentStepIndex: 1,
  controllerPause: true,
  pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2030-01-01T11:00:00Z' }],
};
const progressing: RolloutStatus = { phase: 'Progressing', currentPodHash: 'new', stableRS: 'old' };
const healthy: RolloutStatus = { phase: 'Healthy', currentPodHash: 'old', stableRS: 'old' };
const aborted: RolloutStatus = { ...progressing, phase: 'Degraded', abort: true };

type Case = [string, () => Plan, Omit<Plan, 'said'> | string];

describe('rollout operations write what Argo Rollouts plugin writes', () => {
  it.each<Case>([
    [
      'promote at an indefinite pause step clears the pause conditions only',
      () => promotePlan(rollout(pausedAtStep)),
      { status: { pauseConditions: null } },
    ],
    [
      'promote of a paused spec unpauses it',
      () => promotePlan(rollout(progressing, { paused: true })),
      { spec: { paused: false } },
    ],
    [
      'promote of a blue-green rollout waiting to switch clears its pause',
      () =>
        promotePlan(
          rollout(
            { ...progressing, pauseConditions: [{ reason: 'BlueGreenPause', startTime: 'x' }] },
            { blueGreen: true },
          ),
        ),
      { status: { pauseConditions: null } },
    ],
    [
      'promote when already promoted (controllerPause, no condition) writes nothing',
      () => promotePlan(rollout({ ...progressing, controllerPause: true })),
      {},
    ],
    [
      'promote of a rollout that is not paused',
      () => promotePlan(rollout(progressing)),
      'NotPaused',
    ],
    ['promote of an aborted rollout', () => promotePlan(rollout(aborted)), 'RolloutAborted'],
    [
      'promote --full sets promoteFull and unpauses',
      () => promotePlan(rollout(pausedAtStep, { paused: true }), { full: true }),
      { spec: { paused: false }, status: { promoteFull: true } },
    ],
    [
      'promote --full of an aborted update lifts the abort',
      () => promotePlan(rollout(aborted), { full: true }),
      { status: { promoteFull: true, abort: false } },
    ],
    [
      'promote --full with nothing rolling out',
      () => promotePlan(rollout(healthy), { full: true }),
      'NothingToPromote',
    ],
    [
      'abort sets abort and abortedAt',
      () => abortPlan(rollout(pausedAtStep), NOW),
      { status: { abort: true, abortedAt: '2030-01-01T12:00:00Z' } },
    ],
    ['abort twice writes nothing', () => abortPlan(rollout(aborted), NOW), {}],
    ['abort with nothing rolling out', () => abortPlan(rollout(healthy), NOW), 'NothingToAbort'],
    [
      'abort right after a spec change the controller has not seen',
      () =>
        abortPlan(
          { ...rollout(healthy), metadata: { ...rollout(healthy).metadata, generation: 3 } },
          NOW,
        ),
      { status: { abort: true, abortedAt: '2030-01-01T12:00:00Z' } },
    ],
    ['retry clears abort', () => retryPlan(rollout(aborted)), { status: { abort: false } }],
    ['retry when not aborted', () => retryPlan(rollout(progressing)), 'NotAborted'],
    ['pause', () => pausePlan(rollout(progressing)), { spec: { paused: true } }],
    ['pause twice writes nothing', () => pausePlan(rollout(progressing, { paused: true })), {}],
    ['restart', () => restartPlan(NOW), { spec: { restartAt: '2030-01-01T12:00:00Z' } }],
  ])('%s', (_name, plan, expected) => {
    if (typeof expected === 'string') {
      let err: unknown;
      try {
        plan();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SluiceError);
      expect((err as SluiceError).code).toBe(expected);
      expect((err as SluiceError).exitCode).toBe(1);
      expect((err as SluiceError).message).toMatch(/^Rollout\/shop\/web: /);
      return;
    }
    const { said, ...writes } = plan();
    expect(writes).toEqual(expected);
    expect(said).not.toBe('');
  });
});
