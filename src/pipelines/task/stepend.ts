/**
 * How a step's end decides the task's course, the same for both executors (Tekton's semantics):
 * a step past its own `timeout` is stopped (`TimeoutExceeded`); a step that failed with
 * `onError: continue` lets the next one run (`Continued`, its exit code kept in its state); any
 * other failure stops the task, naming the step. Pure.
 */
import { formatGoDuration } from '../duration.ts';
import type { ResolvedStep } from './resolve.ts';

export interface StepEnd {
  exitCode: number;
  /** Stopped for running past the step's own timeout. */
  timedOut: boolean;
}

export type StepTermination = 'Completed' | 'Error' | 'Continued' | 'TimeoutExceeded';

export interface StepVerdict {
  /** The next step runs (the task goes on). */
  goOn: boolean;
  /** The step state's `terminationReason`. */
  terminationReason: StepTermination;
  /** Why the task failed, when it did. */
  failure?: string;
}

export function stepVerdict(
  step: Pick<ResolvedStep, 'name' | 'onError' | 'timeoutMs'>,
  end: StepEnd,
): StepVerdict {
  const lenient = step.onError === 'continue';
  if (end.timedOut) {
    const limit = formatGoDuration(step.timeoutMs ?? 0);
    return lenient
      ? { goOn: true, terminationReason: 'TimeoutExceeded' }
      : {
          goOn: false,
          terminationReason: 'TimeoutExceeded',
          failure: `step "${step.name}" ran past its timeout (${limit}) and was stopped`,
        };
  }
  if (end.exitCode === 0) return { goOn: true, terminationReason: 'Completed' };
  if (lenient) return { goOn: true, terminationReason: 'Continued' };
  return {
    goOn: false,
    terminationReason: 'Error',
    failure: `step "${step.name}" exited with code ${end.exitCode}`,
  };
}
