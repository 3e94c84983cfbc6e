/**
 * Records from the objects: a PipelineRun or a standalone TaskRun becomes a RunRecord, each
 * TaskRun of a run a TaskRecord with its steps. The `Succeeded` condition folds into one
 * status (`RunStatus`); its reason and message are kept as they are.
 */
import type {
  PipelineRun,
  RunCondition,
  StepState,
  TaskRun,
  TaskRunStatus,
} from '../../api/pipeline.ts';
import type { RunRecord, RunStatus, StepRecord, TaskRecord } from './types.ts';

const CANCELLED_REASONS = new Set([
  'Cancelled',
  'PipelineRunCancelled',
  'TaskRunCancelled',
  'CancelledRunFinally',
  'StoppedRunFinally',
]);
const WAITING_REASONS = new Set(['', 'Pending', 'Queued', 'PipelineRunPending']);

/** The status, reason and message of a run from its `Succeeded` condition. */
export function statusOf(
  conditions: readonly RunCondition[] | undefined,
  startTime?: string,
): { status: RunStatus; reason: string; message: string } {
  const c = conditions?.find((x) => x.type === 'Succeeded');
  const reason = c?.reason ?? '';
  const message = c?.message ?? '';
  if (c?.status === 'True') return { status: 'Succeeded', reason, message };
  if (c?.status === 'False')
    return { status: CANCELLED_REASONS.has(reason) ? 'Cancelled' : 'Failed', reason, message };
  const waiting = WAITING_REASONS.has(reason) && !startTime;
  return { status: waiting ? 'Pending' : 'Running', reason, message };
}

/** completion - start in ms, when both are known. */
export function durationMs(start?: string, completion?: string): number | undefined {
  if (!start || !completion) return undefined;
  const ms = Date.parse(completion) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function createdAt(meta: { creationTimestamp?: string }, fallback?: string): string {
  return meta.creationTimestamp ?? fallback ?? new Date().toISOString();
}

export function pipelineRunRecord(pr: PipelineRun): RunRecord {
  const s = pr.status;
  return {
    uid: pr.metadata.uid ?? '',
    kind: 'PipelineRun',
    namespace: pr.metadata.namespace,
    name: pr.metadata.name,
    pipeline: pr.spec.pipelineRef?.name ?? '',
    ...statusOf(s?.conditions, s?.startTime),
    createdAt: createdAt(pr.metadata, s?.startTime),
    startTime: s?.startTime,
    completionTime: s?.completionTime,
    durationMs: durationMs(s?.startTime, s?.completionTime),
    params: pr.spec.params ?? [],
    results: s?.results ?? [],
  };
}

/** A TaskRun no PipelineRun owns, as a run of its Task. */
export function taskRunRecord(tr: TaskRun): RunRecord {
  const s = tr.status;
  return {
    uid: tr.metadata.uid ?? '',
    kind: 'TaskRun',
    namespace: tr.metadata.namespace,
    name: tr.metadata.name,
    pipeline: tr.spec.taskRef?.name ?? '',
    ...statusOf(s?.conditions, s?.startTime),
    createdAt: createdAt(tr.metadata, s?.startTime),
    startTime: s?.startTime,
    completionTime: s?.completionTime,
    durationMs: durationMs(s?.startTime, s?.completionTime),
    params: tr.spec.params ?? [],
    results: s?.results ?? [],
  };
}

export function stepRecord(step: StepState): StepRecord {
  const t = step.terminated;
  const start = t?.startedAt ?? step.running?.startedAt;
  return {
    name: step.name,
    exitCode: t?.exitCode,
    reason: t?.reason ?? step.waiting?.reason,
    startTime: start,
    completionTime: t?.finishedAt,
    durationMs: durationMs(start, t?.finishedAt),
  };
}

function attempts(s: TaskRunStatus | undefined): number {
  return (s?.retriesStatus?.length ?? 0) + 1;
}

/**
 * One TaskRun of the run `runUid`. `task` is the pipeline task's name (the PipelineRun
 * controller knows it); for a standalone TaskRun, its Task's name.
 */
export function taskRecord(tr: TaskRun, runUid: string, task?: string): TaskRecord {
  const s = tr.status;
  return {
    runUid,
    taskRun: tr.metadata.name,
    task: task ?? tr.spec.taskRef?.name ?? '',
    ...statusOf(s?.conditions, s?.startTime),
    startTime: s?.startTime,
    completionTime: s?.completionTime,
    durationMs: durationMs(s?.startTime, s?.completionTime),
    attempts: attempts(s),
    steps: (s?.steps ?? []).map(stepRecord),
    params: tr.spec.params ?? [],
    results: s?.results ?? [],
  };
}
