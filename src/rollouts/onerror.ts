/**
 * What a rollout does with the AnalysisRun gating it — shared by the canary and blue-green
 * plans. As Argo Rollouts: Successful goes on, Failed aborts, Inconclusive holds the rollout until
 * a person promotes it (or aborts). Error (the provider could not answer: "Prometheus
 * unreachable") aborts by default too, but `onError: Pause` on the analysis holds the rollout
 * instead, so a metrics outage does not roll back a good version; a promote then measures again
 * (a new attempt of the run), and only a Successful one lets the rollout go on.
 */
import type { StepRun } from './runs.ts';

/** The pause condition reason of a rollout held by an analysis in Error. */
export const ERROR_PAUSE_REASON = 'AnalysisRunError';
/** The pause condition reason of a rollout held by an Inconclusive analysis. */
export const INCONCLUSIVE_PAUSE_REASON = 'InconclusiveAnalysisRun';

export type OnError = 'Abort' | 'Pause';

export function onErrorOf(analysis: { onError?: OnError } | undefined): OnError {
  return analysis?.onError ?? 'Abort';
}

export type Verdict =
  | { kind: 'start' }
  | { kind: 'passed' }
  | { kind: 'running'; message: string }
  | { kind: 'abort'; message: string }
  /** Held until promoted: `retry` says whether a promote measures again (Error) or goes on. */
  | { kind: 'hold'; reason: string; message: string; retry: boolean };

/** The verdict on a run (`what` names it for people: "analysis run", "pre-promotion analysis"). */
export function judgeRun(run: StepRun | undefined, onError: OnError, what: string): Verdict {
  if (!run) return { kind: 'start' };
  const detail = run.message ? `: ${run.message}` : '';
  switch (run.phase) {
    case 'Successful':
      return { kind: 'passed' };
    case 'Failed':
      return { kind: 'abort', message: `${what} ${run.name} Failed${detail}` };
    case 'Error':
      if (onError === 'Abort')
        return { kind: 'abort', message: `${what} ${run.name} Error${detail}` };
      return {
        kind: 'hold',
        reason: ERROR_PAUSE_REASON,
        retry: true,
        message: `${what} ${run.name} Error${detail}; held by onError: Pause — promote to measure again, or abort`,
      };
    case 'Inconclusive':
      return {
        kind: 'hold',
        reason: INCONCLUSIVE_PAUSE_REASON,
        retry: false,
        message: `${what} ${run.name} was inconclusive: promote to go on, or abort`,
      };
    default:
      return { kind: 'running', message: `${what} ${run.name} is ${run.phase ?? 'Pending'}` };
  }
}

/** A run as the Rollout's status names it. */
export function runRef(run: StepRun): { name: string; status?: string; message?: string } {
  return {
    name: run.name,
    ...(run.phase ? { status: run.phase } : {}),
    ...(run.message ? { message: run.message } : {}),
  };
}
