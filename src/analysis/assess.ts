/**
 * How an AnalysisRun progresses, as pure functions of its spec, its status and the time (after
 * Argo Rollouts' analysis controller):
 *
 * - `dueTasks`: which metrics to measure now (first after `initialDelay`, again `interval`
 *   after the last one finished, an Error again after `interval` or 10 s without one; none
 *   once the run is terminating, except finishing measurements in flight).
 * - `recordMeasurement`: counts a finished measurement (errors do not count towards `count`;
 *   they count consecutive errors) and keeps the newest `retention` measurements.
 * - `assessMetric` / `assessRun`: a metric is Failed when failed > failureLimit, Inconclusive
 *   when inconclusive > inconclusiveLimit, Error when consecutive errors >
 *   consecutiveErrorLimit, Successful when `count` is reached (or the run terminates). The run
 *   is the worst of its metrics (Failed > Error > Inconclusive > Successful), dry-run metrics
 *   aside, once every metric is done; one metric ending badly terminates the others.
 * - `nextDueAt`: when to look again (the earliest due time), so the controller never polls.
 */
import type {
  AnalysisPhase,
  AnalysisRunSpec,
  AnalysisRunStatus,
  Measurement,
  MetricResult,
} from '../api/analysis.ts';
import type { MetricPolicy } from './policy.ts';

export const DEFAULT_ERROR_RETRY_MS = 10_000;

const ORDER: readonly AnalysisPhase[] = [
  'Pending',
  'Running',
  'Successful',
  'Inconclusive',
  'Error',
  'Failed',
];

export const isCompleted = (p: AnalysisPhase | undefined): boolean =>
  p === 'Successful' || p === 'Failed' || p === 'Error' || p === 'Inconclusive';

/** Whether `b` is worse than `a`. */
export const isWorse = (a: AnalysisPhase, b: AnalysisPhase): boolean =>
  ORDER.indexOf(b) > ORDER.indexOf(a);

export interface RunState {
  spec: AnalysisRunSpec;
  status?: AnalysisRunStatus | undefined;
}

export type Policies = ReadonlyMap<string, MetricPolicy>;

const ms = (iso: string | undefined): number | undefined =>
  iso === undefined ? undefined : Date.parse(iso);

const resultOf = (run: RunState, name: string): MetricResult | undefined =>
  run.status?.metricResults?.find((r) => r.name === name);

const lastOf = (r: MetricResult | undefined): Measurement | undefined =>
  r?.measurements?.[r.measurements.length - 1];

/** Terminating: asked to (`spec.terminate`), or a metric that counts already ended badly. */
export function isTerminating(run: RunState, policies: Policies): boolean {
  if (run.spec.terminate) return true;
  return (run.status?.metricResults ?? []).some(
    (r) => !policies.get(r.name)?.dryRun && isCompleted(r.phase) && r.phase !== 'Successful',
  );
}

export interface Task {
  metric: string;
  /** A measurement in flight (a Job) to look at again, or to end when terminating. */
  resume?: Measurement;
}

/** When the metric's next measurement is due (ms since the epoch), or undefined: not again. */
function dueAt(run: RunState, p: MetricPolicy, errorRetryMs: number): number | undefined {
  const result = resultOf(run, p.name);
  const last = lastOf(result);
  if (!last) return (ms(run.status?.startedAt) ?? 0) + p.initialDelayMs;
  if (p.count !== undefined && (result?.count ?? 0) >= p.count) return undefined;
  const finished = ms(last.finishedAt) ?? 0;
  if (p.intervalMs !== undefined) return finished + p.intervalMs;
  return last.phase === 'Error' ? finished + errorRetryMs : undefined;
}

export function dueTasks(
  run: RunState,
  policies: Policies,
  now: number,
  errorRetryMs = DEFAULT_ERROR_RETRY_MS,
): Task[] {
  const terminating = isTerminating(run, policies);
  const tasks: Task[] = [];
  for (const p of policies.values()) {
    const result = resultOf(run, p.name);
    if (isCompleted(result?.phase)) continue;
    const last = lastOf(result);
    if (last && !last.finishedAt) {
      const resumeAt = ms(last.resumeAt);
      if (terminating || resumeAt === undefined || resumeAt <= now)
        tasks.push({ metric: p.name, resume: last });
      continue;
    }
    if (terminating || run.status?.startedAt === undefined) continue;
    const at = dueAt(run, p, errorRetryMs);
    if (at !== undefined && at <= now) tasks.push({ metric: p.name });
  }
  return tasks;
}

/** The earliest time something is due (a measurement, a resume), or undefined. */
export function nextDueAt(
  run: RunState,
  policies: Policies,
  errorRetryMs = DEFAULT_ERROR_RETRY_MS,
): number | undefined {
  const terminating = isTerminating(run, policies);
  let next: number | undefined;
  for (const p of policies.values()) {
    const result = resultOf(run, p.name);
    if (isCompleted(result?.phase)) continue;
    const last = lastOf(result);
    // In flight while terminating: end it now (a Job to delete).
    const at =
      last && !last.finishedAt
        ? terminating
          ? 0
          : ms(last.resumeAt)
        : terminating
          ? undefined
          : dueAt(run, p, errorRetryMs);
    if (at !== undefined && (next === undefined || at < next)) next = at;
  }
  return next;
}

/**
 * The metric's result with `m` recorded: appended, or replacing the last measurement when it
 * finishes one in flight. Returns the measurements that fell out of the retention window.
 */
export function recordMeasurement(
  previous: MetricResult | undefined,
  m: Measurement,
  policy: MetricPolicy,
  replaceLast: boolean,
): { result: MetricResult; dropped: Measurement[] } {
  const r: MetricResult = previous
    ? { ...previous }
    : { name: policy.name, phase: 'Running', ...(policy.dryRun ? { dryRun: true } : {}) };
  const measurements = [...(r.measurements ?? [])];
  if (replaceLast && measurements.length > 0) measurements[measurements.length - 1] = m;
  else measurements.push(m);
  if (m.finishedAt) count(r, m.phase);
  const dropped = measurements.splice(0, Math.max(0, measurements.length - policy.retention));
  return { result: { ...r, measurements }, dropped };
}

function count(r: MetricResult, phase: AnalysisPhase): void {
  const bump = (k: 'successful' | 'failed' | 'inconclusive' | 'error'): void => {
    r[k] = (r[k] ?? 0) + 1;
  };
  if (phase === 'Error') {
    bump('error');
    r.consecutiveError = (r.consecutiveError ?? 0) + 1;
    return;
  }
  if (phase === 'Successful') bump('successful');
  else if (phase === 'Failed') bump('failed');
  else if (phase === 'Inconclusive') bump('inconclusive');
  r.count = (r.count ?? 0) + 1;
  r.consecutiveError = 0;
}

export interface MetricAssessment {
  phase: AnalysisPhase;
  /** Why it ended badly: `failed (2) > failureLimit (1)`. */
  reason?: string;
}

/** Failed, Inconclusive or Error once a counter passes its limit (-1: no limit). */
function overLimit(p: MetricPolicy, r: MetricResult): MetricAssessment | undefined {
  const over = (n: number | undefined, limit: number): boolean => limit >= 0 && (n ?? 0) > limit;
  if (over(r.failed, p.failureLimit))
    return {
      phase: 'Failed',
      reason: `failed (${r.failed ?? 0}) > failureLimit (${p.failureLimit})`,
    };
  if (over(r.inconclusive, p.inconclusiveLimit))
    return {
      phase: 'Inconclusive',
      reason: `inconclusive (${r.inconclusive ?? 0}) > inconclusiveLimit (${p.inconclusiveLimit})`,
    };
  if (over(r.consecutiveError, p.consecutiveErrorLimit))
    return {
      phase: 'Error',
      reason: `consecutive errors (${r.consecutiveError ?? 0}) > consecutiveErrorLimit (${p.consecutiveErrorLimit})`,
    };
  return undefined;
}

export function assessMetric(
  p: MetricPolicy,
  r: MetricResult | undefined,
  terminating: boolean,
): MetricAssessment {
  if (r && isCompleted(r.phase)) {
    const reason = overLimit(p, r)?.reason;
    return { phase: r.phase, ...(reason ? { reason } : {}) };
  }
  const last = lastOf(r);
  if (!r || !last) return { phase: terminating ? 'Successful' : 'Pending' };
  if (!last.finishedAt) return { phase: 'Running' };
  const bad = overLimit(p, r);
  if (bad) return bad;
  if (p.count !== undefined && (r.count ?? 0) >= p.count) return { phase: 'Successful' };
  return { phase: terminating ? 'Successful' : 'Running' };
}

export interface RunAssessment {
  phase: AnalysisPhase;
  message?: string;
  metricResults: MetricResult[];
  runSummary: NonNullable<AnalysisRunStatus['runSummary']>;
}

/**
 * The run's phase from its metrics' results (which get their phases and messages updated).
 * A metric that just ended badly terminates the run in the same pass, so the Rollout sees
 * Failed at once instead of one reconcile later.
 */
export function assessRun(run: RunState, policies: Policies): RunAssessment {
  const first = assessAll(run, policies, isTerminating(run, policies));
  const second = isTerminating({ ...run, status: { metricResults: first.results } }, policies)
    ? assessAll({ ...run, status: { ...run.status, metricResults: first.results } }, policies, true)
    : first;
  const terminating = second !== first || isTerminating(run, policies);
  const { worst, results, done } = second;
  const counted = results.filter((r) => !policies.get(r.name)?.dryRun);
  const runSummary = {
    count: [...policies.values()].filter((p) => !p.dryRun).length,
    successful: counted.filter((r) => r.phase === 'Successful').length,
    failed: counted.filter((r) => r.phase === 'Failed').length,
    inconclusive: counted.filter((r) => r.phase === 'Inconclusive').length,
    error: counted.filter((r) => r.phase === 'Error').length,
  };
  const message = worst?.message ?? (run.spec.terminate ? 'run terminated' : undefined);
  const phase: AnalysisPhase = terminating || done ? (worst?.phase ?? 'Successful') : 'Running';
  return { phase, ...(message ? { message } : {}), metricResults: results, runSummary };
}

interface Pass {
  results: MetricResult[];
  worst: { phase: AnalysisPhase; message?: string } | undefined;
  /** Every metric is done. */
  done: boolean;
}

function assessAll(run: RunState, policies: Policies, terminating: boolean): Pass {
  const results: MetricResult[] = [];
  let worst: Pass['worst'];
  let done = true;
  for (const p of policies.values()) {
    const r = resultOf(run, p.name);
    if (!r) {
      done = false;
      continue;
    }
    const a = assessMetric(p, r, terminating);
    const next = withPhase(r, a.phase);
    results.push(next);
    if (!isCompleted(a.phase)) done = false;
    else if (!p.dryRun && (!worst || isWorse(worst.phase, a.phase)))
      worst = { phase: a.phase, ...describe(p.name, a, next.message) };
  }
  // Results of metrics no longer in the spec are kept as they are.
  for (const r of run.status?.metricResults ?? []) if (!policies.has(r.name)) results.push(r);
  return { results, worst, done };
}

/** The result in its new phase; a metric that ends takes its last measurement's message. */
function withPhase(r: MetricResult, phase: AnalysisPhase): MetricResult {
  const message = lastOf(r)?.message;
  const ends = phase !== r.phase && isCompleted(phase);
  return { ...r, phase, ...(ends && message ? { message } : {}) };
}

function describe(
  name: string,
  a: MetricAssessment,
  detail: string | undefined,
): { message?: string } {
  if (!a.reason) return {};
  return {
    message: `metric "${name}" assessed ${a.phase} due to ${a.reason}${detail ? `: ${detail}` : ''}`,
  };
}
