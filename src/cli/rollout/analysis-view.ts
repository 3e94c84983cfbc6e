/**
 * The AnalysisRuns part of `sluice rollout get`'s view: each run with its phase, whether the
 * Rollout's status names it as current, and each metric's counts and latest measurements.
 */
import type { AnalysisRun, Measurement, MetricResult } from '../../api/analysis.ts';
import type { Rollout } from '../../api/rollout.ts';

export interface MeasurementView {
  phase: string;
  value?: string;
  message?: string;
  finishedAt?: string;
}

export interface MetricView {
  name: string;
  phase: string;
  message?: string;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  /** The last measurements, oldest first (at most three). */
  latest: MeasurementView[];
}

export interface AnalysisRunView {
  name: string;
  phase: string;
  message?: string;
  /** Named in the Rollout's status as a current run (step, background, pre/post promotion). */
  current: boolean;
  createdAt?: string;
  metrics: MetricView[];
}

function measurementView(m: Measurement): MeasurementView {
  return {
    phase: m.phase,
    ...(m.value !== undefined ? { value: m.value } : {}),
    ...(m.message ? { message: m.message } : {}),
    ...(m.finishedAt ? { finishedAt: m.finishedAt } : {}),
  };
}

function metricView(r: MetricResult): MetricView {
  return {
    name: r.name,
    phase: r.phase,
    ...(r.message ? { message: r.message } : {}),
    successful: r.successful ?? 0,
    failed: r.failed ?? 0,
    inconclusive: r.inconclusive ?? 0,
    error: r.error ?? 0,
    latest: (r.measurements ?? []).slice(-3).map(measurementView),
  };
}

/** The AnalysisRuns the Rollout's status names as current. */
export function currentRuns(ro: Rollout): Set<string> {
  const s = ro.status;
  const refs = [
    s?.canary?.currentStepAnalysisRunStatus,
    s?.canary?.currentBackgroundAnalysisRunStatus,
    s?.blueGreen?.prePromotionAnalysisRunStatus,
    s?.blueGreen?.postPromotionAnalysisRunStatus,
  ];
  return new Set(refs.flatMap((r) => (r?.name ? [r.name] : [])));
}

export function analysisRunView(ar: AnalysisRun, current: Set<string>): AnalysisRunView {
  return {
    name: ar.metadata.name,
    phase: ar.status?.phase ?? 'Pending',
    ...(ar.status?.message ? { message: ar.status.message } : {}),
    current: current.has(ar.metadata.name),
    ...(ar.metadata.creationTimestamp ? { createdAt: ar.metadata.creationTimestamp } : {}),
    metrics: (ar.status?.metricResults ?? []).map(metricView),
  };
}
