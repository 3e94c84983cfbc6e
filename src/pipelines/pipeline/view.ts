/**
 * What the evaluation of a run works with: the run's context (params, clocks, flags), a View of
 * each pipeline task (its phase, skip reason, the children's standing), and the accumulating
 * facts other tasks read through `$(tasks.*)` — results, `status` (Succeeded | Failed | None)
 * and, for finally tasks, `$(tasks.status)` (Succeeded | Failed | Completed | None).
 */
import type {
  PipelineRun,
  PipelineSpec,
  TaskSpec,
  WhenExpression,
  WorkspaceBinding,
} from '../../api/pipeline.ts';
import type { Lookup } from '../subst.ts';
import type { Graph } from './dag.ts';
import type { ResolvedParams } from './params.ts';
import { evaluateWhen, resolveTask, type Resolved, type Unresolved } from './resolve.ts';
import { lookupIn, type TaskFacts } from './scope.ts';
import type { Derived } from './state.ts';
import type { Deadlines } from './timeouts.ts';
import type { ChildState, SkipReason, StartChild, TaskPhase } from './types.ts';
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

/** Views, the facts tasks read about each other, and the children to start, as they build up. */
export interface Acc {
  views: Map<string, View>;
  facts: Map<string, TaskFacts>;
  start: StartChild[];
}

export const DONE: ReadonlySet<TaskPhase> = new Set([
  'Succeeded',
  'Failed',
  'Cancelled',
  'Skipped',
  'ValidationFailed',
]);

/** Records a task's view and what others can read about it. */
export function record(acc: Acc, view: View): void {
  acc.views.set(view.at.pt.name, view);
  const d = view.derived;
  const failed = view.phase === 'Failed' || view.phase === 'Cancelled';
  acc.facts.set(view.at.pt.name, {
    results: d?.results ?? new Map(),
    status: view.phase === 'Succeeded' ? 'Succeeded' : failed ? 'Failed' : 'None',
    reason: d?.reason ?? '',
    ...(view.at.pt.matrix && d ? { matrixLength: d.latest.length } : {}),
  });
}

/** What `$(...)` means inside task `at` now. */
export function lookupFor(ctx: EvalContext, at: Located, acc: Acc): Lookup {
  return lookupIn({
    params: ctx.params.values,
    declared: ctx.params.declared,
    context: { ...ctx.context, 'pipelineTask.retries': String(at.pt.retries ?? 0) },
    tasks: acc.facts,
    workspacesBound: ctx.workspacesBound,
    ...(at.finally ? { aggregateStatus: aggregateStatus(ctx, acc.views) } : {}),
  });
}

export function resolveFor(
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

export function isResolved(r: Resolved | Unresolved): r is Resolved {
  return 'pt' in r;
}

/** `$(tasks.status)`: Failed if a DAG task failed, Completed if one was skipped, else Succeeded. */
export function aggregateStatus(
  ctx: EvalContext,
  views: ReadonlyMap<string, View>,
): 'Succeeded' | 'Failed' | 'Completed' | 'None' {
  const dag = ctx.spec.tasks.map((t) => views.get(t.name)?.phase ?? 'Waiting');
  if (!dag.every((p) => DONE.has(p))) return 'None';
  if (dag.some((p) => p === 'Failed' || p === 'Cancelled' || p === 'ValidationFailed')) {
    return 'Failed';
  }
  return dag.includes('Skipped') ? 'Completed' : 'Succeeded';
}

/** The `when` expressions of `at` as they evaluate now (empty when they do not resolve). */
export function evaluateWhenFor(ctx: EvalContext, at: Located, acc: Acc): WhenExpression[] {
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  return 'ok' in w ? w.when : [];
}
