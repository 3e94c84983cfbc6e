/**
 * A measured value judged by the metric's conditions, exactly as Argo Rollouts maps results:
 *
 * | successCondition | failureCondition | phase                                               |
 * |------------------|------------------|-----------------------------------------------------|
 * | -                | -                | Successful                                          |
 * | set              | -                | Successful if true, else Failed                     |
 * | -                | set              | Failed if true, else Successful                     |
 * | set              | set              | Failed if failure is true, Successful if success is |
 * |                  |                  | true, Inconclusive if neither                       |
 * | cannot evaluate  |                  | Error                                               |
 *
 * The message says what the value was and which condition it did or did not meet.
 */
import type { AnalysisPhase, Metric } from '../api/analysis.ts';
import { compileCondition, formatValue, type Value } from './expr/index.ts';

export interface Judgement {
  phase: Extract<AnalysisPhase, 'Successful' | 'Failed' | 'Inconclusive' | 'Error'>;
  message?: string;
}

/** A condition as it reads in a message (one line). */
export const oneLine = (source: string): string => source.trim().replace(/\s+/g, ' ');

export function judge(
  value: Value,
  conditions: Pick<Metric, 'successCondition' | 'failureCondition'>,
): Judgement {
  // Messages round to 4 significant digits; the measurement keeps the exact value.
  const shown = formatValue(value, 200, 4);
  const success = conditions.successCondition;
  const failure = conditions.failureCondition;
  let succeeded: boolean | undefined;
  let failed: boolean | undefined;
  let current = success;
  try {
    if (success !== undefined) succeeded = compileCondition(success).test(value);
    current = failure;
    if (failure !== undefined) failed = compileCondition(failure).test(value);
  } catch (err) {
    return {
      phase: 'Error',
      message: `cannot evaluate ${oneLine(current ?? '')} on result ${shown}: ${(err as Error).message}`,
    };
  }
  return phaseOf(succeeded, failed, (text) => `result ${shown} ${text}`, conditions);
}

/** Argo's table: a missing condition is the negation of the other one. */
function phaseOf(
  succeeded: boolean | undefined,
  failed: boolean | undefined,
  say: (text: string) => string,
  {
    successCondition: success = '',
    failureCondition: failure = '',
  }: Pick<Metric, 'successCondition' | 'failureCondition'>,
): Judgement {
  if (failed === true)
    return { phase: 'Failed', message: say(`meets failureCondition ${oneLine(failure)}`) };
  if (succeeded === false && failed === undefined)
    return { phase: 'Failed', message: say(`does not satisfy ${oneLine(success)}`) };
  if (succeeded === false)
    return {
      phase: 'Inconclusive',
      message: say(
        `meets neither successCondition ${oneLine(success)} nor failureCondition ${oneLine(failure)}`,
      ),
    };
  return { phase: 'Successful' };
}
