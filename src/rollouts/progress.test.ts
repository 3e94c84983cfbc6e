import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../api/rollout.ts';
import { progress, PROGRESS_DEADLINE_REASON } from './progress.ts';

const waiting: RolloutStatus = {
  phase: 'Progressing',
  currentPodHash: 'v2',
  currentStepIndex: 0,
  replicas: 4,
  availableReplicas: 3,
};

/** The status after a verdict, as the controller writes it. */
function after(prev: RolloutStatus, v: ReturnType<typeof progress>): RolloutStatus {
  return { ...prev, conditions: [v.condition] };
}

describe('progress deadline', () => {
  it('waiting for pods past the deadline is ProgressDeadlineExceeded, naming the counts', () => {
    const first = progress({
      previous: undefined,
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 0,
    });
    expect(first).toMatchObject({ exceeded: false, requeueAfterMs: 10_000 });
    const s1 = after(waiting, first);
    const mid = progress({
      previous: s1,
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 9_000,
    });
    expect(mid).toMatchObject({ exceeded: false, requeueAfterMs: 1_000 });
    const late = progress({
      previous: after(waiting, mid),
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 10_000,
    });
    expect(late.exceeded).toBe(true);
    expect(late.condition).toMatchObject({ status: 'False', reason: PROGRESS_DEADLINE_REASON });
    expect(late.condition.message).toContain('3 of 4 pods available');
    // Still stuck: stays exceeded.
    const still = progress({
      previous: after(waiting, late),
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 20_000,
    });
    expect(still.exceeded).toBe(true);
  });

  it('progress (a pod more available) restarts the clock', () => {
    const first = progress({
      previous: undefined,
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 0,
    });
    const moved = { ...waiting, availableReplicas: 4 };
    const v = progress({
      previous: after(waiting, first),
      next: moved,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 9_500,
    });
    expect(v).toMatchObject({ exceeded: false, requeueAfterMs: 10_000 });
  });

  it('time paused or waiting on an analysis does not count; waiting for pods afterwards starts fresh', () => {
    const paused = { ...waiting, phase: 'Paused' as const };
    const p = progress({
      previous: undefined,
      next: paused,
      waitingForPods: false,
      deadlineSeconds: 10,
      now: 0,
    });
    expect(p.requeueAfterMs).toBeUndefined();
    const v = progress({
      previous: after(paused, p),
      next: waiting,
      waitingForPods: true,
      deadlineSeconds: 10,
      now: 60_000,
    });
    expect(v).toMatchObject({ exceeded: false, requeueAfterMs: 10_000 });
  });

  it('a settled rollout keeps its condition as it is (no write)', () => {
    const healthy: RolloutStatus = { ...waiting, phase: 'Healthy', availableReplicas: 4 };
    const a = progress({
      previous: undefined,
      next: healthy,
      waitingForPods: false,
      deadlineSeconds: undefined,
      now: 0,
    });
    const b = progress({
      previous: after(healthy, a),
      next: healthy,
      waitingForPods: false,
      deadlineSeconds: undefined,
      now: 99_000,
    });
    expect(b.condition).toEqual(a.condition);
    expect(b.condition.reason).toBe('NewReplicaSetAvailable');
  });
});
