/**
 * The one error type people see. Every failure that reaches a person says what object is
 * involved, what went wrong and what to do next; `code` lets scripts and tests tell them apart
 * without matching on text.
 */
export class SluiceError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** The CLI exits with this code; 1 = failure, 2 = usage, 3 = not found, 4 = timeout. */
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** The message and the hint, as the CLI prints them. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof SluiceError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
