/**
 * Errors of analysis: a spec that cannot run (InvalidAnalysis), arguments that do not resolve
 * (MissingArgument, UnknownArgument), templates that are missing (TemplateNotFound) or do not
 * merge (DuplicateMetric, ConflictingArgument). Each names the object and what to change; `code` is what callers test.
 */
import { SluiceError } from '../errors.ts';

export type AnalysisErrorCode =
  | 'InvalidAnalysis'
  | 'MissingArgument'
  | 'UnknownArgument'
  | 'DuplicateMetric'
  | 'ConflictingArgument'
  | 'InvalidFieldRef'
  | 'TemplateNotFound';

export class AnalysisError extends SluiceError {
  override readonly code: AnalysisErrorCode;
  /** The argument or metric the error is about, when there is one. */
  readonly subject: string | undefined;

  constructor(
    code: AnalysisErrorCode,
    message: string,
    options: { hint?: string; subject?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'AnalysisError';
    this.code = code;
    this.subject = options.subject;
  }
}
