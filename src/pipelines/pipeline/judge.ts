/**
 * The verdict on a pipeline task that has no child yet, as Tekton's skipping rules:
 * - DAG task: validation failed (it reads a result its task did not produce) — else skipped
 *   because the run is stopping (a task failed or was cancelled, without onError: continue),
 *   gracefully cancelled or gracefully stopped — else waiting for its parents — else skipped by
 *   its own `when`
 *   (WhenExpressionsSkip: its dependents still run), because a parent was skipped for another
 *   reason (ParentTasksSkip), because it reads a result of a skipped task (MissingResultsSkip),
 *   because the tasks timeout passed, because a matrix param is an empty array — else started;
 * - finally task (once the DAG is done): skipped when a result it reads is missing, by its
 *   `when`, when the finally timeout passed, for an empty matrix — else started.
 */
import type { WhenExpression } from '../../api/pipeline.ts';
import { parseRef } from './refs.ts';
import {
  evaluateWhen,
  firstAttempts,
  startChildren,
  type Resolved,
  type Unresolved,
} from './resolve.ts';
import { SKIP_REASONS, type SkipReason } from './types.ts';
import type { Located } from './validate.ts';
import {
  DONE,
  isResolved,
  lookupFor,
  record,
  resolveFor,
  type Acc,
  type EvalContext,
} from './view.ts';

function skipper(acc: Acc, at: Located) {
  return (reason: SkipReason, when?: WhenExpression[]) =>
    record(acc, { at, phase: 'Skipped', skip: reason, reason, ...(when ? { when } : {}) });
}

/** The run-wide reasons a DAG task does not start, before its own are looked at. */
function gate(ctx: EvalContext, at: Located, acc: Acc, stopping: boolean): boolean {
  const skip = skipper(acc, at);
  if (stopping) skip(SKIP_REASONS.stopping);
  else if (ctx.gracefulCancel) skip(SKIP_REASONS.gracefullyCancelled);
  else if (ctx.gracefulStop) skip(SKIP_REASONS.gracefullyStopped);
  else {
    const parents = (ctx.graph.parents.get(at.pt.name) ?? []).map((p) => acc.views.get(p));
    if (parents.every((p) => p && DONE.has(p.phase))) return true;
    record(acc, { at, phase: 'Waiting' });
  }
  return false;
}

/** Judges a DAG task; a validation failure is added to `failed` (the run then stops). */
export function judgeDag(
  ctx: EvalContext,
  at: Located,
  acc: Acc,
  stopping: boolean,
  failed: Map<string, string>,
): void {
  const invalid = failed.get(at.pt.name);
  if (invalid !== undefined) return record(acc, { at, phase: 'ValidationFailed', reason: invalid });
  if (!gate(ctx, at, acc, stopping)) return;
  const r = ownVerdict(ctx, at, acc, failed);
  if (!r) return;
  acc.start.push(...startChildren(r, ctx.run.metadata.name, firstAttempts(r)));
  record(acc, { at, phase: 'Running' });
}

/** The task's own reasons not to start (its parents are done); the resolved task when none. */
function ownVerdict(
  ctx: EvalContext,
  at: Located,
  acc: Acc,
  failed: Map<string, string>,
): Resolved | undefined {
  const skip = skipper(acc, at);
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  const when = 'ok' in w ? w.when : [];
  if ('ok' in w && !w.ok) {
    skip(SKIP_REASONS.when, when);
  } else if (parentSkipped(ctx, at, acc)) {
    skip(SKIP_REASONS.parentSkipped);
  } else {
    const r = resolveFor(ctx, at, acc, when);
    const u = 'ok' in w ? r : w;
    if (!isResolved(u) || !isResolved(r)) unresolved(acc, at, isResolved(u) ? r : u, failed);
    else if (ctx.tasksTimedOut) skip(SKIP_REASONS.tasksTimeout);
    else if (r.emptyMatrix) skip(SKIP_REASONS.emptyMatrix);
    else return r;
  }
  return undefined;
}

/** A parent was skipped for a reason other than its own `when`. */
function parentSkipped(ctx: EvalContext, at: Located, acc: Acc): boolean {
  return (ctx.graph.parents.get(at.pt.name) ?? []).some((p) => {
    const v = acc.views.get(p);
    return v?.phase === 'Skipped' && v.skip !== SKIP_REASONS.when;
  });
}

/** Reading a result of a skipped task skips the task; anything else unresolved fails validation. */
function unresolved(
  acc: Acc,
  at: Located,
  u: Resolved | Unresolved,
  failed: Map<string, string>,
): void {
  if (isResolved(u)) return;
  if (u.kind === 'missing' && readsSkipped(acc, u.ref)) {
    return skipper(acc, at)(SKIP_REASONS.missingResults);
  }
  const reason = unresolvedMessage(at, u);
  failed.set(at.pt.name, reason);
  record(acc, { at, phase: 'ValidationFailed', reason });
}

/** Judges a finally task, once every DAG task is done. */
export function judgeFinally(ctx: EvalContext, at: Located, acc: Acc): void {
  const skip = skipper(acc, at);
  const w = evaluateWhen(at.pt, lookupFor(ctx, at, acc));
  const r = resolveFor(ctx, at, acc, 'ok' in w ? w.when : []);
  const bad = !('ok' in w) ? w : isResolved(r) ? undefined : r;
  if (bad?.kind === 'missing') return skip(SKIP_REASONS.missingResults);
  if (bad) {
    return record(acc, { at, phase: 'ValidationFailed', reason: unresolvedMessage(at, bad) });
  }
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
  const why =
    r.kind === 'result'
      ? `"${r.task}" did not produce result "${r.result}"`
      : 'it does not resolve';
  return `${at.label} reads $(${u.ref}), but ${why}`;
}
