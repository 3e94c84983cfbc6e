/**
 * The run's clocks, as Tekton's `timeouts`: `pipeline` (default 1h) bounds the whole run from its
 * start; `tasks` bounds the DAG from the start, `finally` the finally tasks from when they begin
 * (either defaults to `pipeline` minus the other when both of those are set); `0` means none.
 * When `pipeline` runs out everything is cancelled and finally does not run; when `tasks` runs out
 * the running tasks are cancelled, the rest skipped, and finally still runs.
 */
import type { PipelineRunSpec, PipelineTask } from '../../api/pipeline.ts';
import { formatGoDuration, parseGoDuration } from '../duration.ts';
import { ErrorList, type PipelineError } from './errors.ts';

export const DEFAULT_PIPELINE_TIMEOUT_MS = 3_600_000;

/** Budgets in ms; undefined = no limit. */
export interface Budgets {
  pipeline: number | undefined;
  tasks: number | undefined;
  finally: number | undefined;
}

function none(ms: number | undefined): number | undefined {
  return ms === 0 ? undefined : ms;
}

/** The three budgets of a run (after validation: every text parses). */
export function budgets(spec: PipelineRunSpec, defaultMs = DEFAULT_PIPELINE_TIMEOUT_MS): Budgets {
  const t = spec.timeouts ?? {};
  const p = t.pipeline === undefined ? defaultMs : (parseGoDuration(t.pipeline) ?? defaultMs);
  const ts = t.tasks === undefined ? undefined : parseGoDuration(t.tasks);
  const fs = t.finally === undefined ? undefined : parseGoDuration(t.finally);
  const bothSet = (a: number | undefined) => p !== 0 && a !== undefined && a !== 0;
  return {
    pipeline: none(p),
    tasks: ts !== undefined ? none(ts) : bothSet(fs) ? p - fs! : undefined,
    finally: fs !== undefined ? none(fs) : bothSet(ts) ? p - ts! : undefined,
  };
}

/** Epoch-ms deadlines; undefined = none (or, for finally, not begun). */
export interface Deadlines {
  pipeline: number | undefined;
  tasks: number | undefined;
  finally: number | undefined;
}

export function deadlines(b: Budgets, startMs: number, finallyStartMs?: number): Deadlines {
  const at = (base: number | undefined, ms: number | undefined) =>
    base === undefined || ms === undefined ? undefined : base + ms;
  return {
    pipeline: at(startMs, b.pipeline),
    tasks: at(startMs, b.tasks),
    finally: at(finallyStartMs, b.finally),
  };
}

/** Reached means strictly past, as Tekton (`elapsed > timeout`). */
export function passed(deadline: number | undefined, nowMs: number): boolean {
  return deadline !== undefined && nowMs > deadline;
}

/** The soonest deadline still ahead, as a delay from now. */
export function nextDeadline(d: Deadlines, nowMs: number): number | undefined {
  const ahead = [d.pipeline, d.tasks, d.finally].filter(
    (x): x is number => x !== undefined && x >= nowMs,
  );
  return ahead.length > 0 ? Math.min(...ahead) - nowMs + 1 : undefined;
}

/**
 * A child's own limit: its PipelineTask's `timeout` when set (0 = none), else the budget of its
 * phase (`tasks` or `finally`, else `pipeline`) — the run's clocks cancel it sooner if they must.
 */
export function childTimeoutMs(pt: PipelineTask, isFinally: boolean, b: Budgets): number {
  if (pt.timeout !== undefined) return parseGoDuration(pt.timeout) ?? 0;
  return (isFinally ? b.finally : b.tasks) ?? b.pipeline ?? 0;
}

/** Checks every duration of the run and its tasks, and that tasks + finally fit in pipeline. */
export function validateTimeouts(
  object: string,
  spec: PipelineRunSpec,
  tasks: readonly PipelineTask[],
  defaultMs = DEFAULT_PIPELINE_TIMEOUT_MS,
): PipelineError[] {
  const out = new ErrorList(object);
  const parse = (field: string, text: string | undefined) => {
    const ms = text === undefined ? undefined : parseGoDuration(text);
    if (text !== undefined && ms === undefined) {
      const hint = 'write durations like 30s, 10m, 1h30m; 0 means no limit';
      out.add('InvalidTimeout', field, `${field}: "${text}" is not a duration`, hint);
    }
    return ms;
  };
  const t = spec.timeouts ?? {};
  const p = parse('spec.timeouts.pipeline', t.pipeline) ?? defaultMs;
  const ts = parse('spec.timeouts.tasks', t.tasks);
  const fs = parse('spec.timeouts.finally', t.finally);
  tasks.forEach((pt) => parse(`task "${pt.name}" timeout`, pt.timeout));
  if (p !== 0) checkFit(out, p, ts, fs);
  return out.errors;
}

/** With a pipeline limit, tasks and finally each fit in it (and are limited), and together too. */
function checkFit(out: ErrorList, p: number, ts: number | undefined, fs: number | undefined): void {
  const over = (field: string, what: string) =>
    out.add(
      'InvalidTimeout',
      field,
      `${what} must fit in timeouts.pipeline (${formatGoDuration(p)})`,
    );
  const tooLong = (x: number | undefined) => x !== undefined && (x > p || x === 0);
  if (tooLong(ts)) over('spec.timeouts.tasks', 'timeouts.tasks');
  if (tooLong(fs)) over('spec.timeouts.finally', 'timeouts.finally');
  if (ts !== undefined && fs !== undefined && !tooLong(ts) && !tooLong(fs) && ts + fs > p) {
    over('spec.timeouts', 'timeouts.tasks + timeouts.finally');
  }
}
