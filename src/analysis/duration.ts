/**
 * Durations as Argo Rollouts' `interval` and `initialDelay` take them (Go's time.ParseDuration):
 * `30s`, `1m30s`, `500ms`, `1.5h`. Anything else is an error naming the field, so a typo fails
 * the run when it starts instead of silently measuring once.
 */
import { AnalysisError } from './errors.ts';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of `text`; `what` names the field in the error (`metric x: interval`). */
export function parseDuration(text: string, what: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  const spelled = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || spelled !== text) {
    throw new AnalysisError(
      'InvalidAnalysis',
      `${what}: ${JSON.stringify(text)} is not a duration`,
      { hint: 'write durations like 30s, 1m30s, 500ms or 1h' },
    );
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 1000), 0);
}
