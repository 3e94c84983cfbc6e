/**
 * Errors of the condition language. Both carry the 1-based position in the condition they are
 * about, and a `code` so callers never decide from the text:
 *
 * - ExprSyntaxError: the condition cannot be parsed (`unexpected ')' at 12`); found when a run
 *   starts, so a typo fails the run at once instead of at its first measurement.
 * - ExprEvalError: the condition cannot be evaluated on this result (`result[0]` on `[]`); the
 *   measurement is an Error, as in Argo Rollouts.
 */
import { SluiceError } from '../../errors.ts';

export type ExprSyntaxCode =
  | 'UnexpectedToken'
  | 'UnexpectedEnd'
  | 'BadNumber'
  | 'BadString'
  | 'UnknownName'
  | 'UnknownFunction'
  | 'WrongArguments'
  | 'TooDeep'
  | 'TooLong';

export type ExprEvalCode =
  | 'TypeMismatch'
  | 'IndexOutOfRange'
  | 'NilAccess'
  | 'NotBoolean'
  | 'BadArgument'
  | 'DivisionByZero'
  | 'TooExpensive';

export class ExprSyntaxError extends SluiceError {
  readonly position: number;
  readonly reason: ExprSyntaxCode;

  constructor(reason: ExprSyntaxCode, message: string, position: number) {
    super(`Expr${reason}`, `${message} at ${position}`, {
      hint: 'conditions look like `result[0] >= 0.99` or `len(result) > 0 && result[0] < 5`',
    });
    this.name = 'ExprSyntaxError';
    this.position = position;
    this.reason = reason;
  }
}

export class ExprEvalError extends SluiceError {
  readonly position: number;
  readonly reason: ExprEvalCode;

  constructor(reason: ExprEvalCode, message: string, position: number) {
    super(`Expr${reason}`, `${message} at ${position}`);
    this.name = 'ExprEvalError';
    this.position = position;
    this.reason = reason;
  }
}

/** An index or key that is not there: `default()` and `??` treat it as absent. */
export function isMissing(err: unknown): boolean {
  return err instanceof ExprEvalError && err.reason === 'IndexOutOfRange';
}
