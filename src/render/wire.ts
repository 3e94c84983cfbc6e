/**
 * What crosses between the controller and a render worker (pool.ts, worker.ts): a job, its
 * reply, and render errors as plain data (structured clone keeps no classes), rebuilt on the
 * controller's side as the same RenderError (or RenderLimitError) with its code, hint and file.
 */
import { errorMessage } from '../errors.ts';
import { RenderError, type RenderErrorCode } from './errors.ts';
import { type LimitName, RenderLimitError } from './limits.ts';
import type { RenderOptions, RenderRequest, RenderResult } from './types.ts';

export interface RenderJob {
  id: number;
  req: RenderRequest;
  opts: RenderOptions;
}

/** A render error as data. `code` is absent for errors that are not RenderErrors (bugs). */
export interface ErrorData {
  message: string;
  code?: RenderErrorCode;
  hint?: string;
  file?: string;
  limit?: LimitName;
  max?: number;
}

export type JobReply =
  { id: number; ok: true; result: RenderResult } | { id: number; ok: false; error: ErrorData };

/** An error thrown by a render, as data. */
export function errorToData(err: unknown): ErrorData {
  if (!(err instanceof RenderError)) return { message: errorMessage(err) };
  return {
    message: err.message,
    code: err.code,
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    ...(err.file === undefined ? {} : { file: err.file }),
    ...(err instanceof RenderLimitError ? { limit: err.limit, max: err.max } : {}),
  };
}

/** The error `errorToData` described, rebuilt. */
export function errorFromData(data: ErrorData): Error {
  if (data.code === undefined) return new Error(data.message);
  if (data.limit !== undefined && data.max !== undefined)
    return new RenderLimitError(data.limit, data.max, data.message, data.hint ?? '', data.file);
  return new RenderError(data.code, data.message, {
    ...(data.hint === undefined ? {} : { hint: data.hint }),
    ...(data.file === undefined ? {} : { file: data.file }),
  });
}
