/**
 * The progress deadline, as Argo Rollouts and Deployments have it: a rollout whose new pods do
 * not become available within `progressDeadlineSeconds` (default 600) of its last progress is
 * Degraded with `Progressing=False, reason ProgressDeadlineExceeded` — and, with
 * `progressDeadlineAbort: true`, aborted (the stable version takes all traffic back). Time spent
 * paused or waiting for an analysis does not count: only waiting for pods does. Progress is any
 * change of the step, the revision or the pod counts; the Progressing condition's
 * `lastUpdateTime` records when it last happened.
 */
import type { RolloutCondition, RolloutStatus } from '../api/rollout.ts';

export const PROGRESS_DEADLINE_REASON = 'ProgressDeadlineExceeded';
const DEFAULT_DEADLINE_S = 600;

export interface ProgressInput {
  previous: RolloutStatus | undefined;
  next: RolloutStatus;
  /** The rollout is waiting for pods to become available (not paused, not on an analysis). */
  waitingForPods: boolean;
  deadlineSeconds: number | undefined;
  now: number;
}

export interface ProgressVerdict {
  condition: RolloutCondition;
  exceeded: boolean;
  /** Look again when the deadline would pass. */
  requeueAfterMs?: number;
}

function fingerprint(s: RolloutStatus | undefined): string {
  return JSON.stringify([
    s?.currentPodHash,
    s?.currentStepIndex,
    s?.replicas,
    s?.updatedReplicas,
    s?.availableReplicas,
    s?.stableRS,
  ]);
}

function reasonOf(input: ProgressInput): string {
  if (input.next.abort) return 'RolloutAborted';
  if (input.next.phase === 'Healthy') return 'NewReplicaSetAvailable';
  return input.waitingForPods ? 'ReplicaSetUpdated' : 'RolloutWaiting';
}

/**
 * Since when the rollout has been in its present state: the clock restarts on progress and when
 * the rollout starts waiting for pods; it is kept otherwise, so a settled rollout's status does
 * not change (and costs no write).
 */
function sinceOf(input: ProgressInput, reason: string): number {
  const old = input.previous?.conditions?.find((c) => c.type === 'Progressing');
  const wasExceeded = old?.reason === PROGRESS_DEADLINE_REASON;
  const moved = fingerprint(input.previous) !== fingerprint(input.next);
  const same = old?.reason === reason || (wasExceeded && input.waitingForPods);
  const kept = Date.parse(old?.lastUpdateTime ?? '');
  return moved || !same || Number.isNaN(kept) ? input.now : kept;
}

export function progress(input: ProgressInput): ProgressVerdict {
  const { next, now } = input;
  const reason = reasonOf(input);
  const since = sinceOf(input, reason);
  const deadlineMs = (input.deadlineSeconds ?? DEFAULT_DEADLINE_S) * 1000;
  const stamp = new Date(since).toISOString();
  if (reason === 'RolloutAborted') {
    // Aborted (by a person, an analysis or the deadline): the message says which.
    const message = next.message ?? '';
    return {
      exceeded: false,
      condition: { type: 'Progressing', status: 'False', reason, message, lastUpdateTime: stamp },
    };
  }
  if (input.waitingForPods && now - since >= deadlineMs) {
    return {
      exceeded: true,
      condition: {
        type: 'Progressing',
        status: 'False',
        reason: PROGRESS_DEADLINE_REASON,
        message: `the new pods did not become available within progressDeadlineSeconds (${deadlineMs / 1000}s): ${next.availableReplicas ?? 0} of ${next.replicas ?? 0} pods available`,
        lastUpdateTime: stamp,
      },
    };
  }
  return {
    exceeded: false,
    condition: {
      type: 'Progressing',
      status: 'True',
      reason,
      message: reason === 'NewReplicaSetAvailable' ? 'the rollout is complete' : '',
      lastUpdateTime: stamp,
    },
    ...(input.waitingForPods ? { requeueAfterMs: Math.max(1, since + deadlineMs - now) } : {}),
  };
}
