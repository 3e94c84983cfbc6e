/**
 * The run's `Succeeded` condition from its tasks, as Tekton words it:
 * - message `Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 1` (while running:
 *   `..., Incomplete: 2, Skipped: 0`); completed counts succeeded, failed and cancelled tasks
 *   (finally included); a task cancelled by a run clock counts as failed; a failed task with
 *   `onError: continue` is shown `Failed: 2 (Ignored: 1)` and does not fail the run;
 * - done: Succeeded; Completed when some were skipped; PipelineValidationFailed; Failed when one
 *   failed or was skipped for a timeout; Cancelled (`PipelineRun "x" was cancelled` after a
 *   graceful cancel or stop); PipelineRunTimeout when the tasks timeout ran out;
 * - running: Running, PipelineRunStopping (a task failed and finally is done, or one was
 *   cancelled), PipelineRunTimeoutRunningFinally, CancelledRunningFinally, StoppedRunningFinally.
 * Plus `status.skippedTasks` and `status.results` (a result reading a task that did not succeed
 * is left out; one reading a result a succeeded task did not produce fails the run).
 */
import type { PipelineRun, PipelineSpec, RunCondition, RunResult } from '../../api/pipeline.ts';
import { referencesIn } from '../subst.ts';
import { formatGoDuration } from '../duration.ts';
import type { View } from './view.ts';
import { valueTypeOf } from './params.ts';
import { parseRef } from './refs.ts';
import { substituteValue } from './resolve.ts';
import { lookupIn } from './scope.ts';
import { SKIP_REASONS, type SkippedTask, type StartChild, type TaskState } from './types.ts';

export interface Counts {
  succeeded: number;
  failed: number;
  /** Failed tasks with `onError: continue`: reported, but they do not fail the run. */
  ignored: number;
  cancelled: number;
  skipped: number;
  skippedForTimeout: number;
  validationFailed: number;
  incomplete: number;
}

const TIMEOUT_SKIPS: ReadonlySet<string> = new Set([
  SKIP_REASONS.pipelineTimeout,
  SKIP_REASONS.tasksTimeout,
  SKIP_REASONS.finallyTimeout,
]);

export function count(views: Iterable<View>): Counts {
  const c: Counts = {
    succeeded: 0,
    failed: 0,
    ignored: 0,
    cancelled: 0,
    skipped: 0,
    skippedForTimeout: 0,
    validationFailed: 0,
    incomplete: 0,
  };
  for (const v of views) {
    if (v.phase === 'Succeeded') c.succeeded++;
    else if (v.phase === 'Cancelled' && v.timedOut) c.failed++;
    else if (v.phase === 'Failed' && v.at.pt.onError === 'continue') c.ignored++;
    else if (v.phase === 'Failed') c.failed++;
    else if (v.phase === 'Cancelled') c.cancelled++;
    else if (v.phase === 'ValidationFailed') c.validationFailed++;
    else if (v.phase === 'Skipped') {
      c.skipped++;
      if (v.skip && TIMEOUT_SKIPS.has(v.skip)) c.skippedForTimeout++;
    } else c.incomplete++;
  }
  return c;
}

export interface RunFlags {
  gracefulCancel: boolean;
  gracefulStop: boolean;
  tasksTimedOut: boolean;
  tasksTimeoutMs: number | undefined;
  finallyDone: boolean;
  hasFinally: boolean;
}

const completed = (c: Counts) => c.succeeded + c.failed + c.ignored + c.cancelled;

/** The condition, and whether the run is over. */
export function condition(
  run: PipelineRun,
  views: View[],
  f: RunFlags,
): { condition: RunCondition; done: boolean } {
  const name = run.metadata.name;
  if (f.tasksTimedOut && (!f.hasFinally || f.finallyDone)) {
    const within = formatGoDuration(f.tasksTimeoutMs ?? 0);
    const message = `PipelineRun "${name}" failed due to tasks failed to finish within "${within}"`;
    return done(false, 'PipelineRunTimeout', message);
  }
  const c = count(views);
  if (c.incomplete === 0) return finished(name, views, c, f);
  const message = `Tasks Completed: ${completed(c)} (Failed: ${c.failed}, Cancelled ${c.cancelled}), Incomplete: ${c.incomplete}, Skipped: ${c.skipped}`;
  return {
    condition: { type: 'Succeeded', status: 'Unknown', reason: runningReason(c, f), message },
    done: false,
  };
}

function finished(
  name: string,
  views: View[],
  c: Counts,
  f: RunFlags,
): { condition: RunCondition; done: boolean } {
  const failed = c.ignored > 0 ? `${c.failed + c.ignored} (Ignored: ${c.ignored})` : `${c.failed}`;
  let message = `Tasks Completed: ${completed(c)} (Failed: ${failed}, Cancelled ${c.cancelled}), Skipped: ${c.skipped}`;
  if (c.validationFailed > 0) {
    message += validationNote(views, c.validationFailed);
    return done(false, 'PipelineValidationFailed', message);
  }
  if (c.failed > 0 || c.skippedForTimeout > 0) return done(false, 'Failed', message);
  if (f.gracefulCancel || f.gracefulStop) {
    return done(false, 'Cancelled', `PipelineRun "${name}" was cancelled`);
  }
  if (c.cancelled > 0) return done(false, 'Cancelled', message);
  return done(true, c.skipped > 0 ? 'Completed' : 'Succeeded', message);
}

function runningReason(c: Counts, f: RunFlags): string {
  if (f.tasksTimedOut && f.hasFinally && !f.finallyDone) return 'PipelineRunTimeoutRunningFinally';
  if (f.gracefulCancel) return 'CancelledRunningFinally';
  if (f.gracefulStop) return 'StoppedRunningFinally';
  if (c.cancelled > 0 || (c.failed > 0 && f.finallyDone)) return 'PipelineRunStopping';
  return 'Running';
}

function done(
  ok: boolean,
  reason: string,
  message: string,
): { condition: RunCondition; done: boolean } {
  return {
    condition: { type: 'Succeeded', status: ok ? 'True' : 'False', reason, message },
    done: true,
  };
}

function validationNote(views: View[], n: number): string {
  const errs = views
    .filter((v) => v.phase === 'ValidationFailed')
    .map((v) => v.reason ?? '')
    .sort()
    .join('; ');
  return `, Failed Validation: ${n} (${errs.length > 1024 ? `${errs.slice(0, 1024)}...` : errs})`;
}

/** `status.skippedTasks`, in spec order. */
export function skippedTasks(views: View[]): SkippedTask[] {
  return views
    .filter((v) => v.phase === 'Skipped' && v.skip)
    .map((v) => ({
      name: v.at.pt.name,
      reason: v.skip!,
      ...(v.skip === SKIP_REASONS.when && v.when ? { whenExpressions: v.when } : {}),
    }));
}

/** Per task: phase, reason, attempts, current children — those starting now included. */
export function taskStates(views: View[], start: readonly StartChild[] = []): TaskState[] {
  return views.map((v) => {
    const starting = start.filter((s) => s.pipelineTask === v.at.pt.name);
    const current = new Map((v.derived?.latest ?? []).map((c) => [c.matrixIndex ?? -1, c.name]));
    for (const s of starting) current.set(s.matrixIndex ?? -1, s.name);
    return {
      name: v.at.pt.name,
      finally: v.at.finally,
      phase: v.phase,
      ...(v.reason ? { reason: v.reason } : {}),
      attempts: Math.max(v.derived?.attempts ?? 0, ...starting.map((s) => s.attempt + 1)),
      children: [...current].sort(([a], [b]) => a - b).map(([, name]) => name),
    };
  });
}

/**
 * `status.results`: each Pipeline result with task results substituted. Returns the names of
 * results that read a result a succeeded task did not produce (the run fails for those).
 */
export function pipelineResults(
  spec: PipelineSpec,
  views: ReadonlyMap<string, View>,
): { results: RunResult[]; invalid: string[] } {
  const tasks = new Map(
    [...views].map(([n, v]) => [
      n,
      { results: v.derived?.results ?? new Map(), status: 'None' as const, reason: '' },
    ]),
  );
  const lookup = lookupIn({
    params: new Map(),
    declared: new Set(),
    context: {},
    workspacesBound: new Map(),
    tasks,
  });
  const results: RunResult[] = [];
  const invalid: string[] = [];
  for (const pr of spec.results ?? []) {
    const unmet = referencesIn(pr.value).filter((ref) => lookup(ref) === undefined);
    if (unmet.length === 0) {
      const value = substituteValue(pr.value, lookup);
      results.push({ name: pr.name, type: pr.type ?? valueTypeOf(value), value });
      continue;
    }
    const fromSucceeded = unmet.some((ref) => {
      const r = parseRef(ref);
      return r.kind === 'result' && views.get(r.task)?.phase === 'Succeeded';
    });
    if (fromSucceeded) invalid.push(pr.name);
  }
  return { results, invalid };
}
