/**
 * What `sluice pipeline get` shows, as data: a PipelineRun with each of its pipeline tasks —
 * where it sits in the graph, its state, reason, duration, attempts and matrix progress — built
 * from the run, its TaskRuns and the spec it ran (`status.pipelineSpec`, else `spec.pipelineSpec`,
 * else the Pipeline's). Rendered as text (render.ts) or printed as JSON/YAML. Pure: the clock is
 * passed in.
 *
 * A task's state: `Skipped` when the run lists it in `status.skippedTasks`; else from its latest
 * TaskRun per matrix combination (Running before Pending before the outcome; a failed attempt
 * with retries left is `Retrying`); no TaskRun yet is `Waiting`, or `NotRun` once the run ended.
 */
import type { Param, PipelineRun, PipelineSpec, RunResult, TaskRun } from '../../api/pipeline.ts';
import type { ChildState } from '../../pipelines/pipeline/index.ts';
import { childOf } from '../../pipelines/pipelinerun/children.ts';
import { drawTree, finallyRows, type TreeRow } from './graph.ts';

export const TASK_STATES = [
  'Waiting',
  'Pending',
  'Running',
  'Retrying',
  'Succeeded',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Skipped',
  'NotRun',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export type RunState = 'Pending' | 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

export interface TaskView {
  name: string;
  finally: boolean;
  /** Tree drawing: what goes before the name, the layer, all parents, parents not drawn under. */
  prefix: string;
  layer: number;
  after: string[];
  also: string[];
  state: TaskState;
  reason?: string;
  /** Why its (latest) TaskRun failed: `step "unit" exited with code 1`. */
  message?: string;
  startTime?: string;
  completionTime?: string;
  durationMs?: number;
  /** Attempts of the latest try so far (1 + retries). */
  attempts: number;
  matrix?: { total: number; done: number };
  taskRuns: string[];
}

export interface RunView {
  name: string;
  namespace: string;
  /** The Pipeline it runs; '' for an inline pipelineSpec. */
  pipeline: string;
  state: RunState;
  reason: string;
  message: string;
  createdAt?: string;
  startTime?: string;
  completionTime?: string;
  durationMs?: number;
  queuePosition?: number;
  /** spec.status (Cancelled, CancelledRunFinally, ...) when someone set it. */
  requested?: string;
  params: Param[];
  results: RunResult[];
  tasks: TaskView[];
}

function stateFrom(status: string | undefined, reason: string, started: boolean): RunState {
  if (status === 'True') return 'Succeeded';
  if (status === 'False') return reason === 'Cancelled' ? 'Cancelled' : 'Failed';
  if (reason === 'Queued') return 'Queued';
  const pending = reason === 'Pending' || reason === 'PipelineRunPending';
  return status === undefined || pending || !started ? 'Pending' : 'Running';
}

/** The run's state in one word, from its `Succeeded` condition. */
export function runState(run: PipelineRun): { state: RunState; reason: string; message: string } {
  const c = run.status?.conditions?.find((x) => x.type === 'Succeeded');
  const reason = c?.reason ?? '';
  const started = run.status?.startTime !== undefined;
  return { state: stateFrom(c?.status, reason, started), reason, message: c?.message ?? '' };
}

export const isDone = (s: RunState): boolean =>
  s === 'Succeeded' || s === 'Failed' || s === 'Cancelled';

/** The spec the run runs, as far as the run itself says. */
export const specOf = (run: PipelineRun): PipelineSpec | undefined =>
  run.status?.pipelineSpec ?? run.spec.pipelineSpec;

const ms = (t: string | undefined): number | undefined => {
  const v = t === undefined ? NaN : Date.parse(t);
  return Number.isFinite(v) ? v : undefined;
};

/** The latest attempt of each matrix combination. */
function latest(children: readonly ChildState[]): ChildState[] {
  const by = new Map<number, ChildState>();
  for (const c of children) {
    const k = c.matrixIndex ?? -1;
    const had = by.get(k);
    if (!had || c.attempt > had.attempt) by.set(k, c);
  }
  return [...by.values()];
}

function outcome(c: ChildState): TaskState {
  if (c.status === 'Succeeded') return 'Succeeded';
  if (c.status === 'Running' || c.status === 'Pending') return c.status;
  if (c.reason === 'TaskRunTimeout') return 'TimedOut';
  if (c.reason === 'TaskRunCancelled') return 'Cancelled';
  return 'Failed';
}

const RANK: Readonly<Partial<Record<TaskState, number>>> = {
  Running: 6,
  Pending: 5,
  TimedOut: 4,
  Failed: 3,
  Cancelled: 2,
  Succeeded: 1,
};

/** The state of a task that has TaskRuns: the most telling of its latest attempts. */
function stateOf(now: readonly ChildState[], retries: number, runDone: boolean): TaskState {
  let state: TaskState = 'Succeeded';
  for (const c of now) {
    const s = outcome(c);
    if ((RANK[s] ?? 0) > (RANK[state] ?? 0)) state = s;
  }
  const retrying = now.some((c) => outcome(c) === 'Failed' && c.attempt < retries);
  return state === 'Failed' && retrying && !runDone ? 'Retrying' : state;
}

type Timing = Partial<Pick<TaskView, 'startTime' | 'completionTime' | 'durationMs'>>;

function timing(children: readonly ChildState[], settled: boolean, nowMs: number): Timing {
  const starts = children.map((c) => ms(c.startTime)).filter((v) => v !== undefined);
  const ends = children.map((c) => ms(c.completionTime)).filter((v) => v !== undefined);
  if (starts.length === 0) return {};
  const start = Math.min(...starts);
  const end = settled && ends.length > 0 ? Math.max(...ends) : nowMs;
  return {
    startTime: new Date(start).toISOString(),
    ...(settled && ends.length > 0 ? { completionTime: new Date(end).toISOString() } : {}),
    durationMs: Math.max(0, end - start),
  };
}

const SETTLED: ReadonlySet<TaskState> = new Set([
  'Succeeded',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Skipped',
  'NotRun',
]);

function taskView(
  row: TreeRow,
  isFinally: boolean,
  retries: number,
  children: readonly ChildState[],
  ctx: { skipped: ReadonlyMap<string, string>; runDone: boolean; nowMs: number },
): TaskView {
  const base = { ...row, finally: isFinally, taskRuns: children.map((c) => c.name).sort() };
  const skip = ctx.skipped.get(row.name);
  if (skip !== undefined) return { ...base, state: 'Skipped', reason: skip, attempts: 0 };
  if (children.length === 0)
    return { ...base, state: ctx.runDone ? 'NotRun' : 'Waiting', attempts: 0 };
  const now = latest(children);
  const state = stateOf(now, retries, ctx.runDone);
  const matrixed = now.some((c) => c.matrixIndex !== undefined);
  const failed = state === 'Succeeded' ? undefined : now.find((c) => c.status === 'Failed');
  return {
    ...base,
    state,
    ...(failed?.reason ? { reason: failed.reason } : {}),
    ...(failed?.message ? { message: failed.message } : {}),
    ...timing(children, SETTLED.has(state), ctx.nowMs),
    attempts: 1 + Math.max(...children.map((c) => c.attempt)),
    ...(matrixed
      ? { matrix: { total: now.length, done: now.filter((c) => SETTLED.has(outcome(c))).length } }
      : {}),
  };
}

function runTiming(
  run: PipelineRun,
  done: boolean,
  nowMs: number,
): Partial<Pick<RunView, 'createdAt' | 'startTime' | 'completionTime' | 'durationMs'>> {
  const start = ms(run.status?.startTime);
  const end = done ? ms(run.status?.completionTime) : nowMs;
  return {
    ...(run.metadata.creationTimestamp ? { createdAt: run.metadata.creationTimestamp } : {}),
    ...(run.status?.startTime ? { startTime: run.status.startTime } : {}),
    ...(run.status?.completionTime ? { completionTime: run.status.completionTime } : {}),
    ...(start !== undefined && end !== undefined ? { durationMs: Math.max(0, end - start) } : {}),
  };
}

function taskViews(
  run: PipelineRun,
  taskRuns: readonly TaskRun[],
  spec: PipelineSpec,
  at: { runDone: boolean; nowMs: number },
): TaskView[] {
  const children = taskRuns.map((tr) => childOf(tr, run)).filter((c) => c !== undefined);
  const skipped = new Map((run.status?.skippedTasks ?? []).map((s) => [s.name, s.reason]));
  const ctx = { skipped, ...at };
  const of = (name: string) => children.filter((c) => c.pipelineTask === name);
  const fin = spec.finally ?? [];
  const retriesOf = new Map([...spec.tasks, ...fin].map((t) => [t.name, t.retries ?? 0]));
  const view = (row: TreeRow, isFinally: boolean): TaskView =>
    taskView(row, isFinally, retriesOf.get(row.name) ?? 0, of(row.name), ctx);
  return [
    ...drawTree(spec.tasks).map((r) => view(r, false)),
    ...finallyRows(fin).map((r) => view(r, true)),
  ];
}

/** The view of a run, its TaskRuns and the spec it runs (undefined: not known yet). */
export function runView(
  run: PipelineRun,
  taskRuns: readonly TaskRun[],
  spec: PipelineSpec | undefined,
  now: Date,
): RunView {
  const { state, reason, message } = runState(run);
  const runDone = isDone(state);
  const tasks = taskViews(run, taskRuns, spec ?? { tasks: [] }, { runDone, nowMs: now.getTime() });
  return {
    name: run.metadata.name,
    namespace: run.metadata.namespace,
    pipeline: run.spec.pipelineRef?.name ?? '',
    state,
    reason,
    message,
    ...runTiming(run, runDone, now.getTime()),
    ...extras(run),
    params: run.spec.params ?? [],
    results: run.status?.results ?? [],
    tasks,
  };
}

function extras(run: PipelineRun): Pick<RunView, 'queuePosition' | 'requested'> {
  const position = run.status?.queuePosition;
  return {
    ...(position !== undefined ? { queuePosition: position } : {}),
    ...(run.spec.status ? { requested: run.spec.status } : {}),
  };
}
