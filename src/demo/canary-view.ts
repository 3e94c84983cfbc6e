/**
 * The lines the demo's canary walk-through prints while it follows the Rollout: where it stands
 * (phase, step, canary weight, the analysis and its measurements), and who answered a sample of
 * requests. Pure, so the wording is tested without a cluster.
 */
import type { AnalysisRun } from '../api/analysis.ts';
import type { CanaryStep, Rollout } from '../api/rollout.ts';
import type { Sample } from './load.ts';

/** `setWeight 20`, `pause 10s`, `pause (until promoted)`, `analysis success-rate`. */
export function stepName(step: CanaryStep | undefined): string {
  if (!step) return 'done';
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}`;
  if (step.pause) {
    const d = step.pause.duration;
    return d === undefined
      ? 'pause (until promoted)'
      : `pause ${typeof d === 'number' ? `${d}s` : d}`;
  }
  if (step.analysis)
    return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
  return Object.keys(step)[0] ?? 'step';
}

/** The measured values of a run's metrics: `success-rate 0.98, 1, 1`. */
export function measurements(run: AnalysisRun): string {
  return (run.status?.metricResults ?? [])
    .map((m) => {
      const values = (m.measurements ?? []).map((x) => shortValue(x.value) ?? x.phase);
      return `${m.name} ${values.length > 0 ? values.join(', ') : '(not measured yet)'}`;
    })
    .join('; ');
}

/** A Prometheus result as people read it: `[0.4878...]` -> `0.488`. */
export function shortValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as unknown;
    const one = Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v;
    if (typeof one === 'number') return String(Math.round(one * 1000) / 1000);
    return JSON.stringify(one);
  } catch {
    return value;
  }
}

/** One line: `Paused · step 2/5 pause 10s · canary 20 % · analysis web-5d8f-2 Running: ...`. */
export function rolloutLine(ro: Rollout, run: AnalysisRun | undefined): string {
  const s = ro.status ?? {};
  const steps = ro.spec.strategy.canary?.steps ?? [];
  const parts = [s.phase ?? 'Pending'];
  if (s.currentPodHash !== s.stableRS && s.currentStepIndex !== undefined) {
    const i = s.currentStepIndex;
    parts.push(`step ${Math.min(i + 1, steps.length)}/${steps.length} ${stepName(steps[i])}`);
  }
  const w = s.canary?.weights?.canary.weight;
  if (w !== undefined && (s.currentPodHash !== s.stableRS || s.abort)) parts.push(`canary ${w} %`);
  if (run) {
    parts.push(
      `analysis ${run.metadata.name} ${run.status?.phase ?? 'Pending'}: ${measurements(run)}`,
    );
  }
  return parts.join(' · ');
}

/** `v1 answered 40 of 40 requests (100 %)`, or each version's share when several did. */
export function shareLine(sample: Sample): string {
  const parts = [...sample.byVersion.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([v, n]) =>
        `${v === '?' ? 'no answer' : v} ${n} of ${sample.total} (${percent(n, sample.total)})`,
    );
  return parts.join(', ');
}

export const percent = (n: number, total: number): string =>
  total === 0 ? '0 %' : `${Math.round((n / total) * 100)} %`;
