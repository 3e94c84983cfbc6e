/**
 * The little SQL both backends speak. The store is written once against `SqlDb`; SQLite and
 * PostgreSQL drivers only connect, translate `?` placeholders and serialise writes. The SQL
 * used is the common subset (upsert with ON CONFLICT, RETURNING, window-free selects), so the
 * two backends behave the same by construction.
 *
 * Integers come back as JS numbers (epoch ms and byte offsets stay far below 2^53).
 */
import type { Backend } from './types.ts';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlExec {
  all<T extends Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDb extends SqlExec {
  readonly backend: Backend;
  /** Where it is, safe to print. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction; transactions of this process run one at a time. `exclusive`
   * also serialises against other processes (log chunks get ids in commit order).
   */
  transaction<T>(fn: (tx: SqlExec) => Promise<T>, options?: { exclusive?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** Runs tasks one at a time, in call order. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** `?, ?, ?` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new TypeError(`expected a number from the database, got ${typeof v}`);
}

export function optNum(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : num(v);
}

export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new TypeError(`expected text from the database, got ${typeof v}`);
}

/** Epoch ms from an RFC 3339 time (undefined stays). */
export function toMs(time: string | undefined): number | null {
  if (!time) return null;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms : null;
}

export function toTime(ms: unknown): string | undefined {
  const n = optNum(ms);
  return n === undefined ? undefined : new Date(n).toISOString();
}
