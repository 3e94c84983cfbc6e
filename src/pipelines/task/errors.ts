/**
 * Why a Task cannot run with the params and workspaces it was given: one error type whose
 * `code` says what is wrong and whose fields name the param, step or workspace, so a controller
 * can set its condition's reason from data and a person reads which input to fix.
 *
 * Every one of these is the user's to fix (a run that failed validation is not retried); the
 * TaskRun condition reason is `TaskRunValidationFailed`, as Tekton's.
 */
import { SluiceError } from '../../errors.ts';

export type TaskErrorCode =
  | 'MissingParam'
  | 'ParamTypeMismatch'
  | 'MissingObjectKeys'
  | 'InvalidParamValue'
  | 'UnknownReference'
  | 'NotAString'
  | 'MissingWorkspace'
  | 'InvalidWorkspace'
  | 'InvalidStep'
  | 'InvalidDuration';

/** What the error is about: a person reads it in the message, code reads it here. */
export interface TaskErrorSubject {
  param?: string;
  step?: string;
  workspace?: string;
  reference?: string;
}

export class TaskError extends SluiceError {
  readonly reason: TaskErrorCode;
  readonly subject: TaskErrorSubject;

  constructor(code: TaskErrorCode, message: string, subject: TaskErrorSubject, hint?: string) {
    super(code, message, hint ? { hint, exitCode: 2 } : { exitCode: 2 });
    this.name = 'TaskError';
    this.reason = code;
    this.subject = subject;
  }
}

export function isTaskError(err: unknown): err is TaskError {
  return err instanceof TaskError;
}
