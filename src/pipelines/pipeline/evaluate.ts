/**
 * Where every pipeline task stands and what to start or cancel, as Tekton decides it:
 * 1. tasks that have children: their standing (state.ts), retries and lost starts to (re)start,
 *    children to cancel when the run is being cancelled or a clock ran out;
 * 2. DAG tasks not begun, in order, each: validation failed (reads a result its task did not
 *    produce) — else skipped because the run is stopping (a task failed or was cancelled),
 *    gracefully cancelled or stopped — else waiting for its parents — else skipped by its `when`
 *    (WhenExpressionsSkip; its dependents still run), because a parent was skipped for another
 *    reason (ParentTasksSkip), because it reads results of a skipped task (MissingResultsSkip),
 *    because the tasks timeout passed, because a matrix param is empty — else started;
 * 3. once every DAG task is done: finally tasks, with `$(tasks.t.status)` and `$(tasks.status)`.
 */
import type {
  PipelineRun,
  PipelineSpec,
  TaskSpec,
  WhenExpression,
  WorkspaceBinding,
} from '../../api/pipeline.ts';
import type { Graph } from './dag.ts';
import type { ResolvedParams } from './params.ts';
import { parseRef } from './refs.ts';
import {
  evaluateWhen,
  firstAttempts,
  resolveTask,
  startChildren,
  type Resolved,
  type Unresolved,
} from './resolve.ts';
import { lookupIn, type Scope, type TaskFacts } from './scope.ts';
import { derive, type Derived } from './state.ts';
import { passed, type Deadlines } from './timeouts.ts';
import {
  SKIP_REASONS,
  type CancelCause,
  type CancelChild,
  type ChildState,
  type SkipReason,
  type StartChild,
  type TaskPhase,
} from './types.ts';
import type { Located } from './validate.ts';

export interface EvalContext {
  run: PipelineRun;
  spec: PipelineSpec;
  all: Located[];
  graph: Graph;
  children: readonly ChildState[];
  taskSpecs: Readonly<Record<string, TaskSpec>>;
  params: ResolvedParams;
  context: Readonly<Record<string, string>>;
  workspacesBound: ReadonlyMap<string, boolean>;
  bindings: ReadonlyMap<string, WorkspaceBinding>;
  timeoutMs: (at: Located) => number;
  deadlines: Deadlines;
  nowMs: number;
  retries: 'engine' | 'child';
  gracefulCancel: boolean;
  gracefulStop: boolean;
  tasksTimedOut: boolean;
  finallyTimedOut: boolean;
}

export interface View {
  at: Located;
  phase: TaskPhase;
  skip?: SkipReason;
  when?: WhenExpression[];
  /** The child's reason, or why validation failed. */
  reason?: string;
  /** Cancelled because one of the run's clocks ran out (counts as a failure). */
  timedOut?: boolean;
  derived?: Derived;
}

export interface Evaluation {
  views: Map<string, View>;
  start: StartChild[];
  cancel: CancelChild[];
}

export const DONE: ReadonlySet<TaskPhase> = new Set([
  'Succeeded',
  'Failed',
  'Cancelled',
  'Skipped',
  'ValidationFailed',
]);

export const CANCEL_MESSAGES: Record<CancelCause, string> = {
  Cancelled: 'TaskRun cancelled as the PipelineRun it belongs to has been cancelled.',
  PipelineRunTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
  TasksTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
  FinallyTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
};

interface Acc {
  views: Map<string, View>;
  facts: Map<string, TaskFacts>;
  start: StartChild[];
}

export function evaluate(ctx: EvalContext): Evaluation {
  const byName = new Map(ctx.all.map((at) => [at.pt.name, at]));
  const dag = ctx.graph.order.map((n) => byName.get(n)!);
  const fin = ctx.all.filter((at) => at.finally);
  const acc: Acc = { views: new Map(), facts: new Map(), start: [] };
  const cancel: CancelChild[] = [];
  const begun = (at: Located) => ctx.children.some((c) => c.pipelineTask === at.pt.name);
  for (const at of dag.filter(begun)) cancel.push(...begin(ctx, at, acc));
  const result = dagPass(
    ctx,
    dag.filter((at) => !begun(at)),
    acc,
  );
  const dagDone = dag.every((at) => DONE.has(result.views.get(at.pt.name)?.phase ?? 'Waiting'));
  for (const at of fin) {
    if (!dagDone) result.views.set(at.pt.name, { at, phase: 'Waiting' });
    else if (begun(at)) cancel.push(...begin(ctx, at, result));
    else judgeFinally(ctx, at, result);
  }
  return { views: result.views, start: result.start, cancel };
}

function lookupFor(ctx: EvalContext, at: Located, acc: Acc) {
  const scope: Scope = {
    params: ctx.params.values,
    declared: ctx.params.declared,
    context: { ...ctx.context, 'pipelineTask.retries': String(at.pt.retries ?? 0) },
    tasks: acc.facts,
    workspacesBound: ctx.workspacesBound,
    ...(at.finally ? { aggregateStatus: aggregateStatus(ctx, acc.views) } : {}),
  };
  return lookupIn(scope);
}

function resolveFor(
  ctx: EvalContext,
  at: Located,
  acc: Acc,
  when: WhenExpression[],
): Resolved | Unresolved {
  const rctx = {
    run: ctx.run,
    taskSpecs: ctx.taskSpecs,
    bindings: ctx.bindings,
    lookup: lookupFor(ctx, at, acc),
    timeoutMs: ctx.timeoutMs(at),
  };
  return resolveTask(at.pt, at.finally, rctx, when);
}

function isResolved(r: Resolved | Unresolved): r is Resolved {
  return 'pt' in r;
}

function record(acc: Acc, view: View): void {
  acc.views.set(view.at.pt.name, view);
  const d = view.derived;
  const status =
    view.phase === 'Succeeded'
      ? 'Succeeded'
      : view.phase === 'Failed' || view.phase === 'Cancelled'
        ? 'Failed'
        : 'None';
  acc.facts.set(view.at.pt.name, {
    results: d?.results ?? new Map(),
    status,
    reason: view.reason ?? '',
    ...(view.at.pt.matrix && d ? { matrixLength: d.latest.length } : {}),
  });
}

/** A task with children: its standing, restarts, and cancels. */
function begin(ctx: EvalContext, at: Located, acc: Acc): CancelChild[] {
  const kids = ctx.children.filter((c) => c.pipelineTask === at.pt.name);
  const mayStart = at.finally ? !ctx.finallyTimedOut : !(ctx.gracefulCancel || ctx.tasksTimedOut);
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  const r = resolveFor(ctx, at, acc, 'ok' in w ? w.when : []);
  const ok = isResolved(r);
  const combinations = ok ? r.combinations?.length : undefined;
  const d = derive(at.pt, kids, {
    mayStart: mayStart && ok,
    retries: ctx.retries,
    ...(combinations === undefined ? {} : { combinations }),
  });
  if (ok) acc.start.push(...startChildren(r, ctx.run.metadata.name, d.restart));
  const timedOut = d.cancelled.some((c) => clockCancelled(ctx, at, c));
  record(acc, {
    at,
    phase: d.phase,
    derived: d,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(timedOut ? { timedOut } : {}),
  });
  const cause: CancelCause | undefined = at.finally
    ? ctx.finallyTimedOut
      ? 'FinallyTimeout'
      : undefined
    : ctx.tasksTimedOut
      ? 'TasksTimeout'
      : ctx.gracefulCancel
        ? 'Cancelled'
        : undefined;
  if (!cause) return [];
  return d.latest
    .filter((c) => c.status === 'Pending' || c.status === 'Running')
    .map((c) => ({
      name: c.name,
      pipelineTask: at.pt.name,
      cause,
      message: CANCEL_MESSAGES[cause],
    }));
}

/** A child cancelled after one of the run's clocks ran out was stopped by it. */
function clockCancelled(ctx: EvalContext, at: Located, c: ChildState): boolean {
  const when = c.completionTime ? Date.parse(c.completionTime) : ctx.nowMs;
  const d = ctx.deadlines;
  return passed(d.pipeline, when) || passed(at.finally ? d.finally : d.tasks, when);
}

/** Judges the DAG tasks not begun; a validation failure stops the run, so judge again once. */
function dagPass(ctx: EvalContext, unbegun: Located[], begun: Acc): Acc {
  const failed = new Map<string, string>();
  for (;;) {
    const acc: Acc = {
      views: new Map(begun.views),
      facts: new Map(begun.facts),
      start: [...begun.start],
    };
    const before = failed.size;
    const stopping =
      failed.size > 0 ||
      [...acc.views.values()].some((v) => v.phase === 'Failed' || v.phase === 'Cancelled');
    for (const at of unbegun) judgeDag(ctx, at, acc, stopping, failed);
    if (failed.size === before) return acc;
  }
}

function judgeDag(
  ctx: EvalContext,
  at: Located,
  acc: Acc,
  stopping: boolean,
  failed: Map<string, string>,
): void {
  const skip = (reason: SkipReason, when?: WhenExpression[]) =>
    record(acc, { at, phase: 'Skipped', skip: reason, reason, ...(when ? { when } : {}) });
  const invalid = failed.get(at.pt.name);
  if (invalid !== undefined) return record(acc, { at, phase: 'ValidationFailed', reason: invalid });
  if (stopping) return skip(SKIP_REASONS.stopping);
  if (ctx.gracefulCancel) return skip(SKIP_REASONS.gracefullyCancelled);
  if (ctx.gracefulStop) return skip(SKIP_REASONS.gracefullyStopped);
  const parents = (ctx.graph.parents.get(at.pt.name) ?? []).map((p) => acc.views.get(p));
  if (!parents.every((p) => p && DONE.has(p.phase))) return record(acc, { at, phase: 'Waiting' });
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  if ('ok' in w && !w.ok) return skip(SKIP_REASONS.when, w.when);
  if (parents.some((p) => p?.phase === 'Skipped' && p.skip !== SKIP_REASONS.when))
    return skip(SKIP_REASONS.parentSkipped);
  const r = resolveFor(ctx, at, acc, 'ok' in w ? w.when : []);
  const bad = !('ok' in w) ? w : isResolved(r) ? undefined : r;
  if (bad) {
    if (bad.kind === 'missing' && readsSkipped(acc, bad.ref))
      return skip(SKIP_REASONS.missingResults);
    failed.set(at.pt.name, unresolvedMessage(at, bad));
    return record(acc, { at, phase: 'ValidationFailed', reason: failed.get(at.pt.name)! });
  }
  if (!isResolved(r)) return;
  if (ctx.tasksTimedOut) return skip(SKIP_REASONS.tasksTimeout);
  if (r.emptyMatrix) return skip(SKIP_REASONS.emptyMatrix);
  acc.start.push(...startChildren(r, ctx.run.metadata.name, firstAttempts(r)));
  record(acc, { at, phase: 'Running' });
}

function judgeFinally(ctx: EvalContext, at: Located, acc: Acc): void {
  const skip = (reason: SkipReason, when?: WhenExpression[]) =>
    record(acc, { at, phase: 'Skipped', skip: reason, reason, ...(when ? { when } : {}) });
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  const r = resolveFor(ctx, at, acc, 'ok' in w ? w.when : []);
  const bad = !('ok' in w) ? w : isResolved(r) ? undefined : r;
  if (bad?.kind === 'missing') return skip(SKIP_REASONS.missingResults);
  if (bad)
    return record(acc, { at, phase: 'ValidationFailed', reason: unresolvedMessage(at, bad) });
  if (!('ok' in w) || !isResolved(r)) return;
  if (!w.ok) return skip(SKIP_REASONS.when, w.when);
  if (ctx.finallyTimedOut) return skip(SKIP_REASONS.finallyTimeout);
  if (r.emptyMatrix) return skip(SKIP_REASONS.emptyMatrix);
  acc.start.push(...startChildren(r, ctx.run.metadata.name, firstAttempts(r)));
  record(acc, { at, phase: 'Running' });
}

function readsSkipped(acc: Acc, ref: string): boolean {
  const r = parseRef(ref);
  return r.kind === 'result' && acc.views.get(r.task)?.phase === 'Skipped';
}

function unresolvedMessage(at: Located, u: Unresolved): string {
  if (u.kind === 'invalid') return `${at.label}: ${u.message}`;
  const r = parseRef(u.ref);
  const who =
    r.kind === 'result'
      ? `"${r.task}" did not produce result "${r.result}"`
      : 'it does not resolve';
  return `${at.label} reads $(${u.ref}), but ${who}`;
}

/** `$(tasks.status)`: Failed if a DAG task failed, Completed if one was skipped, else Succeeded. */
export function aggregateStatus(
  ctx: EvalContext,
  views: ReadonlyMap<string, View>,
): 'Succeeded' | 'Failed' | 'Completed' | 'None' {
  const dag = ctx.spec.tasks.map((t) => views.get(t.name));
  if (!dag.every((v) => v && DONE.has(v.phase))) return 'None';
  if (
    dag.some(
      (v) => v?.phase === 'Failed' || v?.phase === 'Cancelled' || v?.phase === 'ValidationFailed',
    )
  )
    return 'Failed';
  return dag.some((v) => v?.phase === 'Skipped') ? 'Completed' : 'Succeeded';
}
