/**
 * What each `sluice rollout` operation writes, decided from the Rollout as read. These are the
 * fields Argo Rollouts' kubectl plugin writes, so the CLI works with any controller that speaks
 * that protocol:
 *
 * | command        | spec                 | status (subresource)                       |
 * |----------------|----------------------|--------------------------------------------|
 * | promote        | paused: false        | pauseConditions: null                      |
 * | promote --full | paused: false        | promoteFull: true                          |
 * | abort          |                      | abort: true, abortedAt: now                |
 * | retry          |                      | abort: false                               |
 * | pause          | paused: true         |                                            |
 * | restart        | restartAt: now       |                                            |
 *
 * `promote` leaves `status.controllerPause` alone: a controller reads "controllerPause true,
 * no pause condition" as "a person resumed me" and moves past an indefinite `pause: {}` step.
 * Pure: the clock is passed in.
 */
import type { Rollout } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import { settled } from './progress.ts';

export interface Plan {
  /** Merge patch of `spec`, when the operation changes it. */
  spec?: Record<string, unknown>;
  /** Merge patch of `status` (sent to the status subresource). */
  status?: Record<string, unknown>;
  /** What was done, for the person: "promoted", "already paused". */
  said: string;
}

export class NothingToDoError extends SluiceError {
  constructor(code: string, message: string, hint: string) {
    super(code, message, { hint, exitCode: 1 });
    this.name = 'NothingToDoError';
  }
}

const refOf = (ro: Rollout): string => `Rollout/${ro.metadata.namespace}/${ro.metadata.name}`;

/** `--full`: skip the remaining steps, pauses and analyses. */
function promoteFull(ro: Rollout): Plan {
  if (settled(ro) && !ro.status?.abort) {
    throw new NothingToDoError(
      'NothingToPromote',
      `${refOf(ro)}: nothing to promote, it runs its stable revision`,
      'change the pod template (e.g. `sluice rollout set-image`) to start an update',
    );
  }
  if (ro.status?.promoteFull) return { said: 'already being fully promoted' };
  return {
    ...(ro.spec.paused ? { spec: { paused: false } } : {}),
    // An aborted update goes ahead in full too: the abort is lifted as `retry` would.
    status: { promoteFull: true, ...(ro.status?.abort ? { abort: false } : {}) },
    said: 'fully promoted: remaining steps, pauses and analyses are skipped',
  };
}

const abortedError = (ro: Rollout): NothingToDoError =>
  new NothingToDoError(
    'RolloutAborted',
    `${refOf(ro)}: the update was aborted, there is no paused step to promote`,
    `\`sluice rollout retry ${ro.metadata.name}\` starts it again; \`promote --full\` skips straight to the new version`,
  );

/** Nothing holds it: already promoted (the controller has yet to move on), or never paused. */
function notPaused(ro: Rollout): Plan {
  if (ro.status?.controllerPause) return { said: 'already promoted; the controller moves it on' };
  throw new NothingToDoError(
    'NotPaused',
    `${refOf(ro)}: nothing to promote, it is not paused (${ro.status?.phase ?? 'no status yet'})`,
    `\`sluice rollout promote ${ro.metadata.name} --full\` skips the remaining steps`,
  );
}

export function promotePlan(ro: Rollout, opts: { full?: boolean } = {}): Plan {
  if (opts.full) return promoteFull(ro);
  const s = ro.status;
  if (s?.abort) throw abortedError(ro);
  const conditions = s?.pauseConditions ?? [];
  if (!ro.spec.paused && conditions.length === 0) return notPaused(ro);
  const reasons = conditions.map((c) => c.reason);
  return {
    ...(ro.spec.paused ? { spec: { paused: false } } : {}),
    ...(conditions.length > 0 ? { status: { pauseConditions: null } } : {}),
    said: `promoted${reasons.length > 0 ? ` past ${reasons.join(', ')}` : ' (unpaused)'}`,
  };
}

export function abortPlan(ro: Rollout, now: Date): Plan {
  if (ro.status?.abort) return { said: 'already aborted' };
  if (settled(ro)) {
    throw new NothingToDoError(
      'NothingToAbort',
      `${refOf(ro)}: nothing to abort, it runs its stable revision`,
      'abort stops an update in progress and sends everything back to the stable revision',
    );
  }
  return { status: { abort: true, abortedAt: rfc3339(now) }, said: 'aborted' };
}

export function retryPlan(ro: Rollout): Plan {
  if (!ro.status?.abort) {
    throw new NothingToDoError(
      'NotAborted',
      `${refOf(ro)}: nothing to retry, it was not aborted (${ro.status?.phase ?? 'no status yet'})`,
      'retry starts an aborted update again',
    );
  }
  return { status: { abort: false }, said: 'retried: the update starts again' };
}

export function pausePlan(ro: Rollout): Plan {
  if (ro.spec.paused) return { said: 'already paused' };
  return { spec: { paused: true }, said: 'paused' };
}

export function restartPlan(at: Date): Plan {
  return { spec: { restartAt: rfc3339(at) }, said: `restarts pods older than ${rfc3339(at)}` };
}

/** RFC 3339 without fractions, as Kubernetes writes times (`2030-01-01T12:00:00Z`). */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
