/**
 * Records to and from table rows: times as epoch ms, params / results / steps as JSON text,
 * masked with the run's SecretSet on the way in. The same for both backends.
 */
import type { Param, RunResult } from '../../api/pipeline.ts';
import { durationMs } from './records.ts';
import type { SecretSet } from './secrets.ts';
import { num, str, toMs, toTime, type Row, type SqlValue } from './sql.ts';
import {
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  type StepRecord,
  type TaskRecord,
} from './types.ts';

export const RUN_COLUMNS = `id, uid, kind, namespace, name, pipeline, status, reason, message,
  created_at, start_time, completion_time, duration_ms, params, results`;

export function statusFrom(v: unknown): RunStatus {
  const s = str(v);
  return (RUN_STATUSES as readonly string[]).includes(s) ? (s as RunStatus) : 'Running';
}

function json<T>(v: unknown): T {
  return JSON.parse(str(v)) as T;
}

export function runFromRow(r: Row): RunRecord {
  return {
    uid: str(r['uid']),
    kind: str(r['kind']) === 'TaskRun' ? 'TaskRun' : 'PipelineRun',
    namespace: str(r['namespace']),
    name: str(r['name']),
    pipeline: str(r['pipeline']),
    status: statusFrom(r['status']),
    reason: str(r['reason']),
    message: str(r['message']),
    createdAt: toTime(r['created_at']) ?? '',
    startTime: toTime(r['start_time']),
    completionTime: toTime(r['completion_time']),
    durationMs: r['duration_ms'] == null ? undefined : num(r['duration_ms']),
    params: json<Param[]>(r['params']),
    results: json<RunResult[]>(r['results']),
  };
}

export function taskFromRow(r: Row, runUid: string): TaskRecord {
  return {
    runUid,
    taskRun: str(r['task_run']),
    task: str(r['task']),
    status: statusFrom(r['status']),
    reason: str(r['reason']),
    message: str(r['message']),
    startTime: toTime(r['start_time']),
    completionTime: toTime(r['completion_time']),
    durationMs: r['duration_ms'] == null ? undefined : num(r['duration_ms']),
    attempts: num(r['attempts']),
    steps: json<StepRecord[]>(r['steps']),
    params: json<Param[]>(r['params']),
    results: json<RunResult[]>(r['results']),
  };
}

function maskResults(results: readonly RunResult[], secrets: SecretSet): RunResult[] {
  return results.map((r) => ({ ...r, value: secrets.maskValue(r.value) }));
}

/** The `runs` columns after id, in insert order (RUN_INSERT). */
export function runValues(run: RunRecord, secrets: SecretSet): SqlValue[] {
  const duration = run.durationMs ?? durationMs(run.startTime, run.completionTime) ?? null;
  // prettier-ignore
  return [
    run.uid, run.kind, run.namespace, run.name, run.pipeline, run.status, run.reason,
    secrets.mask(run.message), toMs(run.createdAt) ?? Date.now(), toMs(run.startTime),
    toMs(run.completionTime), duration, JSON.stringify(secrets.maskParams(run.params)),
    JSON.stringify(maskResults(run.results, secrets)), Date.now(),
  ];
}

/** The `tasks` columns, in insert order (TASK_INSERT). */
export function taskValues(runId: number, task: TaskRecord, secrets: SecretSet): SqlValue[] {
  const steps = task.steps.map((s) => ({ ...s, reason: s.reason && secrets.mask(s.reason) }));
  // prettier-ignore
  return [
    runId, task.taskRun, task.task, task.status, task.reason, secrets.mask(task.message),
    toMs(task.startTime), toMs(task.completionTime),
    task.durationMs ?? durationMs(task.startTime, task.completionTime) ?? null, task.attempts,
    JSON.stringify(steps), JSON.stringify(secrets.maskParams(task.params)),
    JSON.stringify(maskResults(task.results, secrets)), Date.now(),
  ];
}
