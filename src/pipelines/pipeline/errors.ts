/**
 * Why a Pipeline cannot run, as data: every problem found before anything runs is a PipelineError
 * with a `code` (what is wrong, for scripts and tests), the `reason` the PipelineRun's
 * `Succeeded` condition gets (Tekton's, which dashboards and scripts already read), the `field`
 * it is about (`spec.tasks[1].params[image]`) and a hint. The message starts with the object:
 * `Pipeline/ci/build: task "deploy" ...`.
 */
import { SluiceError } from '../../errors.ts';

export const PIPELINE_ERROR_CODES = [
  'Cycle',
  'DuplicateTask',
  'MissingTask',
  'TaskNotFound',
  'InvalidTask',
  'InvalidParam',
  'MissingParam',
  'UnknownParam',
  'TypeMismatch',
  'MissingObjectKeys',
  'IndexOutOfRange',
  'InvalidParamValue',
  'UnknownResult',
  'InvalidReference',
  'InvalidStatusReference',
  'InvalidFinally',
  'InvalidWhen',
  'InvalidMatrix',
  'InvalidTimeout',
  'MissingWorkspace',
  'InvalidWorkspace',
  'InvalidPipelineResult',
  'Unsupported',
] as const;
export type PipelineErrorCode = (typeof PIPELINE_ERROR_CODES)[number];

/** The `Succeeded` condition's reason for each code, as Tekton's PipelineRun controller sets it. */
export const REASON_OF: Record<PipelineErrorCode, string> = {
  Cycle: 'PipelineInvalidGraph',
  DuplicateTask: 'PipelineInvalidGraph',
  MissingTask: 'PipelineInvalidGraph',
  TaskNotFound: 'CouldntGetTask',
  InvalidTask: 'PipelineValidationFailed',
  InvalidParam: 'PipelineValidationFailed',
  MissingParam: 'ParameterMissing',
  UnknownParam: 'PipelineValidationFailed',
  TypeMismatch: 'ParameterTypeMismatch',
  MissingObjectKeys: 'ObjectParameterMissKeys',
  IndexOutOfRange: 'ParamArrayIndexingInvalid',
  InvalidParamValue: 'InvalidParamValue',
  UnknownResult: 'InvalidTaskResultReference',
  InvalidReference: 'PipelineValidationFailed',
  InvalidStatusReference: 'PipelineValidationFailed',
  InvalidFinally: 'PipelineValidationFailed',
  InvalidWhen: 'PipelineValidationFailed',
  InvalidMatrix: 'InvalidMatrixParameterTypes',
  InvalidTimeout: 'PipelineValidationFailed',
  MissingWorkspace: 'InvalidWorkspaceBindings',
  InvalidWorkspace: 'PipelineValidationFailed',
  InvalidPipelineResult: 'InvalidPipelineResultReference',
  Unsupported: 'PipelineValidationFailed',
};

const HINTS: Partial<Record<PipelineErrorCode, string>> = {
  Cycle: 'remove one of the runAfter entries or result references that close the loop',
  MissingParam: 'pass it with `-p name=value` (or `spec.params`) or give the param a default',
  TaskNotFound: 'create the Task in the namespace first (`sluice task list` shows what exists)',
  InvalidStatusReference: 'only `finally` tasks can read $(tasks.<name>.status)',
  MissingWorkspace:
    'bind it in the PipelineRun `spec.workspaces` (emptyDir: {} is enough for scratch)',
};

export class PipelineError extends SluiceError {
  override readonly code: PipelineErrorCode;
  /** The PipelineRun condition reason (Tekton's). */
  readonly reason: string;
  /** The object (`Pipeline/ns/name` or `PipelineRun/ns/name`) and field it is about. */
  readonly object: string;
  readonly field: string;

  constructor(
    code: PipelineErrorCode,
    object: string,
    field: string,
    message: string,
    options: { hint?: string } = {},
  ) {
    const hint = options.hint ?? HINTS[code];
    super(code, `${object}: ${message}`, hint ? { hint } : {});
    this.name = 'PipelineError';
    this.code = code;
    this.reason = REASON_OF[code];
    this.object = object;
    this.field = field;
  }
}

/** The condition for a run that failed validation: the first error's reason, every message. */
export function validationCondition(errors: readonly PipelineError[]): {
  reason: string;
  message: string;
} {
  const first = errors[0];
  if (!first) return { reason: 'PipelineValidationFailed', message: '' };
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: ` : '';
  const rest = errors
    .slice(1, 5)
    .map((e) => e.message.slice(e.object.length + 2))
    .join('; ');
  return {
    reason: first.reason,
    message: `${first.message}${more}${more ? `${rest}${errors.length > 5 ? '; ...' : ''})` : ''}`,
  };
}

/** Collects the errors about one object. */
export class ErrorList {
  readonly errors: PipelineError[] = [];
  readonly object: string;
  constructor(object: string) {
    this.object = object;
  }
  add(code: PipelineErrorCode, field: string, message: string, hint?: string): void {
    this.errors.push(new PipelineError(code, this.object, field, message, hint ? { hint } : {}));
  }
}
