/**
 * Where every pipeline task of a run stands and what to start or cancel, as Tekton decides it:
 * 1. DAG tasks that have children, in order: their standing (state.ts), retries and lost starts
 *    to (re)start, children to cancel when the run is gracefully cancelled or `timeouts.tasks`
 *    ran out;
 * 2. DAG tasks without children, in order: judged (judge.ts); a task that fails validation
 *    stops the run, so the others are judged again knowing it;
 * 3. once every DAG task is done (succeeded, failed, cancelled or skipped): finally tasks, begun
 *    ones as in 1 (cancelled when `timeouts.finally` ran out), the others judged.
 */
import { judgeDag, judgeFinally } from './judge.ts';
import { startChildren } from './resolve.ts';
import { derive } from './state.ts';
import { passed } from './timeouts.ts';
import type { CancelCause, CancelChild, ChildState, StartChild } from './types.ts';
import type { Located } from './validate.ts';
import {
  DONE,
  evaluateWhenFor,
  isResolved,
  record,
  resolveFor,
  type Acc,
  type EvalContext,
  type View,
} from './view.ts';

export interface Evaluation {
  views: Map<string, View>;
  start: StartChild[];
  cancel: CancelChild[];
}

/** What Tekton puts in a cancelled TaskRun's `spec.statusMessage`. */
export const CANCEL_MESSAGES: Record<CancelCause, string> = {
  Cancelled: 'TaskRun cancelled as the PipelineRun it belongs to has been cancelled.',
  PipelineRunTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
  TasksTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
  FinallyTimeout: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
};

export function evaluate(ctx: EvalContext): Evaluation {
  const byName = new Map(ctx.all.map((at) => [at.pt.name, at]));
  const dag = ctx.graph.order.map((n) => byName.get(n)!);
  const begun = (at: Located) => ctx.children.some((c) => c.pipelineTask === at.pt.name);
  const acc: Acc = { views: new Map(), facts: new Map(), start: [] };
  const cancel: CancelChild[] = [];
  for (const at of dag.filter(begun)) cancel.push(...begin(ctx, at, acc));
  const result = dagPass(
    ctx,
    dag.filter((at) => !begun(at)),
    acc,
  );
  const dagDone = dag.every((at) => DONE.has(result.views.get(at.pt.name)?.phase ?? 'Waiting'));
  for (const at of ctx.all.filter((a) => a.finally)) {
    if (!dagDone) result.views.set(at.pt.name, { at, phase: 'Waiting' });
    else if (begun(at)) cancel.push(...begin(ctx, at, result));
    else judgeFinally(ctx, at, result);
  }
  return { views: result.views, start: result.start, cancel };
}

/** A task with children: its standing, what to restart, what to cancel. */
function begin(ctx: EvalContext, at: Located, acc: Acc): CancelChild[] {
  const kids = ctx.children.filter((c) => c.pipelineTask === at.pt.name);
  const mayStart = at.finally ? !ctx.finallyTimedOut : !(ctx.gracefulCancel || ctx.tasksTimedOut);
  const r = resolveFor(ctx, at, acc, evaluateWhenFor(ctx, at, acc));
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
  const cause = cancelCause(ctx, at);
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

function cancelCause(ctx: EvalContext, at: Located): CancelCause | undefined {
  if (at.finally) return ctx.finallyTimedOut ? 'FinallyTimeout' : undefined;
  if (ctx.tasksTimedOut) return 'TasksTimeout';
  return ctx.gracefulCancel ? 'Cancelled' : undefined;
}

/** A child cancelled after one of the run's clocks ran out was stopped by it. */
function clockCancelled(ctx: EvalContext, at: Located, c: ChildState): boolean {
  const when = c.completionTime ? Date.parse(c.completionTime) : ctx.nowMs;
  const d = ctx.deadlines;
  return passed(d.pipeline, when) || passed(at.finally ? d.finally : d.tasks, when);
}

/** A failed or cancelled task stops the run, unless its failures are ignored (onError: continue). */
function stops(v: View): boolean {
  return (v.phase === 'Failed' || v.phase === 'Cancelled') && v.at.pt.onError !== 'continue';
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
    const stopping = failed.size > 0 || [...acc.views.values()].some((v) => stops(v));
    for (const at of unbegun) judgeDag(ctx, at, acc, stopping, failed);
    if (failed.size === before) return acc;
  }
}
