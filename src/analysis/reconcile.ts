/**
 * One step of an AnalysisRun (the controller calls it, then comes back when `requeueAfterMs`
 * says): resolve arguments, take the measurements that are due (in parallel), record them,
 * assess the run, and say when the next measurement is due. Never waits for a measurement
 * that takes long (a Job): it stays Running until the Job's watch event brings the run back.
 *
 * 1. arguments: `{{args.x}}` substituted in every metric (secrets read when measuring)
 * 2. policies: intervals, counts and limits (an invalid spec ends the run in Error)
 * 3. due tasks: first measurements, intervals passed, errors to retry, Jobs to look at or end
 * 4. measurements: taken by each metric's provider, judged by its conditions
 * 5. results: counted, bounded by retention (Jobs of dropped measurements are deleted)
 * 6. assessment: metric and run phases, the message saying which metric ended it and why
 */
import type { AnalysisRun, AnalysisRunStatus, Measurement, MetricResult } from '../api/analysis.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import { argValues, substituteMetric, type ArgValues } from './args.ts';
import {
  assessRun,
  DEFAULT_ERROR_RETRY_MS,
  dueTasks,
  isCompleted,
  isTerminating,
  nextDueAt,
  recordMeasurement,
  type Policies,
  type RunState,
  type Task,
} from './assess.ts';
import { takeMeasurement } from './measure.ts';
import { runPolicies } from './policy.ts';
import { providerFor, type Providers } from './providers/index.ts';

export interface StepDeps {
  /** Cancelled with the reconcile. */
  kube: Kube;
  providers: Providers;
  /** Jobs from the watch cache. */
  jobs: (namespace: string, name: string) => KubeObject | undefined;
  /** A Secret's value, for `valueFrom.secretKeyRef` arguments. */
  secret: (namespace: string, name: string, key: string) => Promise<string>;
  now: () => number;
  errorRetryMs?: number;
}

export interface StepResult {
  status: AnalysisRunStatus;
  requeueAfterMs?: number;
  /** Measurements that fell out of the retention window (their Jobs go). */
  dropped: Measurement[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The run ends in Error at once: its spec or arguments cannot work. */
function invalid(run: AnalysisRun, message: string, now: number): StepResult {
  return {
    status: {
      ...run.status,
      phase: 'Error',
      message,
      startedAt: run.status?.startedAt ?? iso(now),
    },
    dropped: [],
  };
}

/** Measurements done in this step; a Job's number counts every measurement taken before. */
function seqOf(result: MetricResult | undefined): number {
  const r = result ?? { count: 0, error: 0 };
  return (r.count ?? 0) + (r.error ?? 0) + 1;
}

const inFlight = (run: AnalysisRun): boolean =>
  (run.status?.metricResults ?? []).some((r) => {
    const last = r.measurements?.[r.measurements.length - 1];
    return last !== undefined && last.finishedAt === undefined;
  });

function redactor(run: AnalysisRun, args: ArgValues): (text: string) => string {
  const secrets = (run.spec.args ?? [])
    .filter((a) => a.valueFrom?.secretKeyRef)
    .map((a) => args.get(a.name) ?? '')
    .filter((v) => v.length > 0);
  return (text) => secrets.reduce((t, s) => t.split(s).join('*****'), text);
}

export async function stepRun(
  run: AnalysisRun,
  deps: StepDeps,
  signal: AbortSignal,
): Promise<StepResult> {
  const now = deps.now();
  // A run that ended is done, unless a Job it started still has to be ended: no request at all.
  if (isCompleted(run.status?.phase) && !inFlight(run))
    return { status: run.status ?? {}, dropped: [] };
  const retryMs = deps.errorRetryMs ?? DEFAULT_ERROR_RETRY_MS;
  const ns = run.metadata.namespace;
  // 1-2. Arguments and policies.
  let args: ArgValues;
  let state: RunState;
  let policies: Policies;
  try {
    args = await argValues(run.spec.args, (name, key) => deps.secret(ns, name, key));
    const metrics = run.spec.metrics.map((m) => substituteMetric(m, args));
    state = {
      spec: { ...run.spec, metrics },
      status: { ...run.status, startedAt: run.status?.startedAt ?? iso(now) },
    };
    policies = runPolicies(state.spec);
  } catch (err) {
    if (signal.aborted) throw err;
    return invalid(run, `analysis spec invalid: ${errorMessage(err)}`, now);
  }
  // 3-4. Measurements due now.
  const tasks = dueTasks(state, policies, now, retryMs);
  const terminating = isTerminating(state, policies);
  const measured = await Promise.all(
    tasks.map((task) => measureTask(run, state, task, { deps, args, terminating, signal })),
  );
  // 5. Record them.
  const results = [...(state.status?.metricResults ?? [])];
  const dropped: Measurement[] = [];
  measured.forEach((m, i) => {
    const task = tasks[i] as Task;
    const at = results.findIndex((r) => r.name === task.metric);
    const policy = policies.get(task.metric);
    if (!policy) return;
    const out = recordMeasurement(results[at], m, policy, task.resume !== undefined);
    if (at >= 0) results[at] = out.result;
    else results.push(out.result);
    dropped.push(...out.dropped);
  });
  // 6. Assess.
  const after: RunState = { spec: state.spec, status: { ...state.status, metricResults: results } };
  const a = assessRun(after, policies);
  const status: AnalysisRunStatus = {
    ...state.status,
    phase: a.phase,
    metricResults: a.metricResults,
    runSummary: a.runSummary,
  };
  if (a.message) status.message = a.message;
  else delete status.message;
  const next = nextDueAt({ spec: state.spec, status }, policies, retryMs);
  return {
    status,
    dropped,
    ...(next !== undefined ? { requeueAfterMs: Math.max(0, next - deps.now()) } : {}),
  };
}

async function measureTask(
  run: AnalysisRun,
  state: RunState,
  task: Task,
  ctx: { deps: StepDeps; args: ArgValues; terminating: boolean; signal: AbortSignal },
): Promise<Measurement> {
  const metric = state.spec.metrics.find((m) => m.name === task.metric);
  if (!metric) throw new Error(`metric ${task.metric} is not in the spec`);
  const result = state.status?.metricResults?.find((r) => r.name === task.metric);
  const provider = providerFor(metric, ctx.deps.providers, {
    kube: ctx.deps.kube,
    run: {
      name: run.metadata.name,
      namespace: run.metadata.namespace,
      uid: run.metadata.uid ?? '',
    },
    cached: ctx.deps.jobs,
    seq: seqOf(result),
  });
  return takeMeasurement({
    task,
    metric,
    provider,
    args: ctx.args,
    terminating: ctx.terminating,
    signal: ctx.signal,
    now: ctx.deps.now,
    redact: redactor(run, ctx.args),
  });
}
