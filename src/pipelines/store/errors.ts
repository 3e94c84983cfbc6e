/**
 * Errors of the run store. Each names the run it is about (`PipelineRun/ci/build-x7: ...`) or
 * the store (`run store postgres://ci@db/sluice: ...`, never with a password), with a reason as
 * data so callers decide on `reason`, never on the message.
 */
import { SluiceError } from '../../errors.ts';
import type { RunRef } from './types.ts';

export type RunStoreReason =
  | 'RunNotFound'
  | 'InvalidRecord'
  | 'InvalidDatabaseUrl'
  | 'StoreUnavailable'
  | 'SchemaTooNew'
  | 'StoreClosed'
  | 'WriterClosed'
  | 'LogsDropped';

const HINTS: Record<RunStoreReason, string> = {
  RunNotFound:
    'list the recorded runs with `sluice pipeline list`; runs older than the retention are deleted',
  InvalidRecord: 'fill in the record from the run object (see records.ts)',
  InvalidDatabaseUrl: 'use postgres://user:password@host:port/database, or a file path for SQLite',
  StoreUnavailable: 'check that the database is running and reachable, and the credentials',
  SchemaTooNew: 'a newer Sluice wrote this store: upgrade Sluice, or point it at another store',
  StoreClosed: 'open the store again',
  WriterClosed: 'open a new log writer for the run',
  LogsDropped: 'the database did not accept writes for too long; check it is reachable',
};

const EXIT_CODES: Partial<Record<RunStoreReason, number>> = { RunNotFound: 3 };

/** `PipelineRun/ns/name` (or `ns/name` when the kind is not known). */
export function formatRun(ref: RunRef): string {
  return `${ref.kind ? `${ref.kind}/` : ''}${ref.namespace}/${ref.name}`;
}

/** A database URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export class RunStoreError extends SluiceError {
  readonly reason: RunStoreReason;
  /** The run it is about, when it is about one. */
  readonly run: RunRef | undefined;

  constructor(
    reason: RunStoreReason,
    subject: RunRef | string,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    const who = typeof subject === 'string' ? `run store ${subject}` : formatRun(subject);
    super(reason, `${who}: ${message}`, {
      hint: options.hint ?? HINTS[reason],
      cause: options.cause,
      exitCode: EXIT_CODES[reason] ?? 1,
    });
    this.name = 'RunStoreError';
    this.reason = reason;
    this.run = typeof subject === 'string' ? undefined : subject;
  }
}

export function runNotFound(ref: RunRef): RunStoreError {
  return new RunStoreError('RunNotFound', ref, 'no such run in the store');
}
