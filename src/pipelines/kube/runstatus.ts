/**
 * A TaskRun's status as Tekton writes it (pure): the `Succeeded` condition (Unknown while it runs,
 * True or False at the end, with Tekton's reasons), `startTime` / `completionTime`, the steps,
 * and an attempt archived into `retriesStatus` when `spec.retries` allows another.
 */
import type { RunCondition, TaskRun, TaskRunStatus } from '../../api/pipeline.ts';
import { formatGoDuration, parseGoDuration } from '../duration.ts';
import { endSteps, type TaskRunReason } from './status.ts';

/** Tekton's default: a TaskRun without `timeout` gets an hour. */
export const DEFAULT_TIMEOUT_MS = 3_600_000;

export const succeededCondition = (s: TaskRunStatus | undefined): RunCondition | undefined =>
  s?.conditions?.find((c) => c.type === 'Succeeded');

export function isDone(tr: TaskRun): boolean {
  const c = succeededCondition(tr.status);
  return c !== undefined && c.status !== 'Unknown';
}

/** `spec.timeout` in ms (0: none), or undefined when it is not a duration. */
export function timeoutOf(tr: TaskRun, fallbackMs = DEFAULT_TIMEOUT_MS): number | undefined {
  return tr.spec.timeout === undefined ? fallbackMs : parseGoDuration(tr.spec.timeout);
}

export function timeoutMessage(tr: TaskRun, ms: number): string {
  return `TaskRun "${tr.metadata.name}" failed to finish within "${formatGoDuration(ms)}"`;
}

/** The status with its condition set; the transition time moves only when `status` changes. */
export function withCondition(
  s: TaskRunStatus,
  status: RunCondition['status'],
  reason: string,
  message: string,
  now: string,
): TaskRunStatus {
  const prev = succeededCondition(s);
  const cond: RunCondition = {
    type: 'Succeeded',
    status,
    reason,
    message,
    lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? now) : now,
  };
  return {
    ...s,
    conditions: [cond, ...(s.conditions ?? []).filter((c) => c.type !== 'Succeeded')],
  };
}

/** A run seen for the first time (or a new attempt): started now. */
export function started(s: TaskRunStatus | undefined, now: string): TaskRunStatus {
  if (s?.startTime) return s;
  return withCondition({ ...s, startTime: now }, 'Unknown', 'Started', '', now);
}

/**
 * The run failed with `reason`: completed now, steps that never ended terminated (`Skipped` after
 * a failed step, the run's reason otherwise).
 */
export function failed(
  s: TaskRunStatus,
  reason: TaskRunReason,
  message: string,
  now: string,
): TaskRunStatus {
  const stepReason = reason === 'Failed' ? 'Skipped' : reason;
  return {
    ...withCondition(s, 'False', reason, message, now),
    completionTime: now,
    ...(s.steps ? { steps: endSteps(s.steps, stepReason, now) } : {}),
  };
}

/** Whether a failed attempt gets another (`spec.retries`; never after a cancel). */
export function canRetry(tr: TaskRun, s: TaskRunStatus, reason: TaskRunReason): boolean {
  const retryable =
    reason !== 'TaskRunCancelled' &&
    reason !== 'TaskRunValidationFailed' &&
    reason !== 'CouldntGetTask';
  return retryable && (tr.spec.retries ?? 0) > (s.retriesStatus?.length ?? 0);
}

/** The failed attempt goes to `retriesStatus`; the run starts again (Unknown, ToBeRetried). */
export function retried(s: TaskRunStatus, now: string): TaskRunStatus {
  const attempt = {
    ...(s.conditions ? { conditions: s.conditions } : {}),
    ...(s.podName ? { podName: s.podName } : {}),
    ...(s.startTime ? { startTime: s.startTime } : {}),
    ...(s.completionTime ? { completionTime: s.completionTime } : {}),
  };
  const message = succeededCondition(s)?.message ?? '';
  const next: TaskRunStatus = {
    ...(s.taskSpec ? { taskSpec: s.taskSpec } : {}),
    ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
    retriesStatus: [...(s.retriesStatus ?? []), attempt],
    startTime: now,
  };
  return withCondition(next, 'Unknown', 'ToBeRetried', message, now);
}
