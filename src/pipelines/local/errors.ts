/**
 * Why `sluice pipeline run --local` refuses to start: one error type whose `code` says what is
 * wrong (scripts and tests read it; nobody parses the message) and whose message starts with the
 * object it is about — `PipelineRun/default/ci-1: ...`, `Pipeline/default/ci: ...`. A Pipeline
 * that fails the engine's validation (a cycle, a missing param, ...) is refused with the engine's
 * own PipelineError (its code, reason and hint), before any process runs.
 */
import { SluiceError } from '../../errors.ts';

export type LocalRunErrorCode =
  | 'NoPipeline'
  | 'AmbiguousRun'
  | 'RunNotFound'
  | 'PipelineNotFound'
  | 'InvalidPipelineRun'
  | 'UnsupportedApiVersion'
  | 'UnknownParam'
  | 'InvalidParamValue'
  | 'WorkspaceSourceMissing'
  /** The engine neither finished the run nor left anything to wait for (a bug). */
  | 'Stuck';

export class LocalRunError extends SluiceError {
  override readonly code: LocalRunErrorCode;
  /** `Kind/namespace/name` of the object the error is about ('' when it is about the file). */
  readonly object: string;

  constructor(code: LocalRunErrorCode, object: string, message: string, hint?: string) {
    super(
      code,
      object ? `${object}: ${message}` : message,
      hint ? { hint, exitCode: 2 } : { exitCode: 2 },
    );
    this.name = 'LocalRunError';
    this.code = code;
    this.object = object;
  }
}
