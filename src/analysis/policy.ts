/**
 * A metric's schedule and limits, with Argo Rollouts' defaults, read once from the run's spec:
 * `count` (1 without `interval`, else unbounded), `interval`, `initialDelay`, `failureLimit` (0),
 * `inconclusiveLimit` (0), `consecutiveErrorLimit` (4), dry-run and measurement retention (10).
 * A limit of -1 means unlimited. Invalid specs fail here with a message naming the metric.
 */
import type { AnalysisRunSpec, Metric } from '../api/analysis.ts';
import { compileCondition } from './expr/index.ts';
import { parseDuration } from './duration.ts';
import { AnalysisError } from './errors.ts';
import { parsePath } from './jsonpath.ts';

export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_MEASUREMENT_RETENTION = 10;

export interface MetricPolicy {
  name: string;
  intervalMs: number | undefined;
  initialDelayMs: number;
  /** Measurements (not counting errors) after which the metric is done; undefined: never. */
  count: number | undefined;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  dryRun: boolean;
  /** Measurements kept in status. */
  retention: number;
}

type Selectors = AnalysisRunSpec['dryRun'];

const invalid = (metric: string, message: string, hint?: string): AnalysisError =>
  new AnalysisError('InvalidAnalysis', `metric ${metric}: ${message}`, {
    subject: metric,
    ...(hint ? { hint } : {}),
  });

/** `3` or `"3"` (after argument substitution); `what` names the field in the error. */
function intOf(v: number | string | undefined, metric: string, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^-?[0-9]+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalid(metric, `${what} ${JSON.stringify(v)} is not an integer`);
  return n;
}

/** Argo's metricName selectors: an exact name, or `.*` for every metric. */
function selects<T extends { metricName: string }>(
  selectors: readonly T[] | undefined,
  name: string,
): T | undefined {
  return selectors?.find((s) => s.metricName === name || s.metricName === '.*');
}

export function metricPolicy(
  metric: Metric,
  spec: { dryRun?: Selectors; measurementRetention?: AnalysisRunSpec['measurementRetention'] },
): MetricPolicy {
  const name = metric.name;
  const intervalMs =
    metric.interval === undefined
      ? undefined
      : parseDuration(metric.interval, `metric ${name}: interval`);
  const count = intOf(metric.count, name, 'count');
  const limit = (v: number | string | undefined, what: string, dflt: number): number => {
    const n = intOf(v, name, what) ?? dflt;
    if (n < -1) throw invalid(name, `${what} ${n} must be -1 (unlimited) or more`);
    return n;
  };
  const policy: MetricPolicy = {
    name,
    intervalMs,
    initialDelayMs: metric.initialDelay
      ? parseDuration(metric.initialDelay, `metric ${name}: initialDelay`)
      : 0,
    // Argo: count 0 is "not set".
    count: count ? count : intervalMs === undefined ? 1 : undefined,
    failureLimit: limit(metric.failureLimit, 'failureLimit', 0),
    inconclusiveLimit: limit(metric.inconclusiveLimit, 'inconclusiveLimit', 0),
    consecutiveErrorLimit: limit(
      metric.consecutiveErrorLimit,
      'consecutiveErrorLimit',
      DEFAULT_CONSECUTIVE_ERROR_LIMIT,
    ),
    dryRun: selects(spec.dryRun, name) !== undefined,
    retention: selects(spec.measurementRetention, name)?.limit ?? DEFAULT_MEASUREMENT_RETENTION,
  };
  checkPolicy(policy, metric);
  return policy;
}

function checkPolicy(p: MetricPolicy, metric: Metric): void {
  if (p.count !== undefined && p.count < 0) throw invalid(p.name, `count ${p.count} is negative`);
  if (p.count !== undefined && p.count > 1 && p.intervalMs === undefined)
    throw invalid(p.name, `count ${p.count} needs an interval`, 'add e.g. `interval: 30s`');
  if (p.count !== undefined && p.count < p.failureLimit)
    throw invalid(p.name, `count ${p.count} is less than failureLimit ${p.failureLimit}`);
  if (p.count !== undefined && p.count < p.inconclusiveLimit)
    throw invalid(p.name, `count ${p.count} is less than inconclusiveLimit ${p.inconclusiveLimit}`);
  const providers = Object.entries(metric.provider).filter(([, v]) => v !== undefined);
  if (providers.length !== 1)
    throw invalid(
      p.name,
      providers.length === 0
        ? 'no provider'
        : `more than one provider (${providers.map(([k]) => k).join(', ')})`,
      'set exactly one of provider.prometheus, provider.web, provider.job',
    );
  checkExpressions(p.name, metric);
}

/** Conditions parse, a web jsonPath reads: a typo fails the run at once, not each measurement. */
function checkExpressions(name: string, metric: Metric): void {
  const path = metric.provider.web?.jsonPath;
  if (path !== undefined) parsePath(path, `metric ${name}: jsonPath`);
  for (const field of ['successCondition', 'failureCondition'] as const) {
    const source = metric[field];
    if (source === undefined) continue;
    try {
      compileCondition(source);
    } catch (err) {
      throw invalid(name, `${field} ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  }
}

/** Policies of every metric of a run; duplicate metric names are an error. */
export function runPolicies(spec: AnalysisRunSpec): Map<string, MetricPolicy> {
  const out = new Map<string, MetricPolicy>();
  for (const m of spec.metrics) {
    if (out.has(m.name))
      throw new AnalysisError('DuplicateMetric', `metric ${m.name} is defined twice`, {
        subject: m.name,
      });
    out.set(m.name, metricPolicy(m, spec));
  }
  return out;
}
