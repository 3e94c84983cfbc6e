/**
 * Writing logs: `LogWriter`s (one per run) buffer text per step; one `LogBatcher` per store
 * masks it and writes everything pending, from every writer, in one transaction every
 * `flushIntervalMs` (or sooner past `maxPendingBytes`). What one step wrote between two flushes
 * becomes one chunk row, so 10k lines a second cost a few rows a second and `write()` never
 * waits for the database.
 *
 * If the database fails, the batch is kept and retried on the next flush; past
 * `maxBufferedBytes` the oldest text is dropped and reported (LogsDropped), never silently.
 */
import { EventEmitter } from 'node:events';
import { RunStoreError } from './errors.ts';
import type { SecretSet, StreamMasker } from './secrets.ts';
import { placeholders, Serial, num, type SqlDb, type SqlExec, type SqlValue } from './sql.ts';
import type { LogWriter, RunRef, StreamKey } from './types.ts';

export interface LogBatchOptions {
  flushIntervalMs: number;
  maxPendingBytes: number;
  maxBufferedBytes: number;
  onError: (err: unknown) => void;
}

interface StreamState {
  runId: number;
  key: { taskRun: string; task: string; step: string; attempt: number };
  masker: StreamMasker;
  raw: string[];
  rawBytes: number;
  end: { exitCode?: number | undefined } | undefined;
  /** As committed. */
  id: number | undefined;
  size: number;
  rawSize: number;
}

interface Pending {
  state: StreamState;
  text: string;
  rawBytes: number;
  end: { exitCode?: number | undefined } | undefined;
}

const ROWS_PER_INSERT = 200;
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

export class LogBatcher {
  /** 'written' (runId): chunks of that run were committed. */
  readonly events = new EventEmitter().setMaxListeners(0);
  private readonly db: SqlDb;
  private readonly options: LogBatchOptions;
  private readonly dirty = new Set<StreamState>();
  private readonly serial = new Serial();
  private retry: Pending[] = [];
  private pendingBytes = 0;
  private urgent = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(db: SqlDb, options: LogBatchOptions) {
    this.db = db;
    this.options = options;
  }

  /** False once more than `maxPendingBytes` wait: the caller should await `flush()`. */
  append(state: StreamState, text: string): boolean {
    state.raw.push(text);
    state.rawBytes += bytes(text);
    this.pendingBytes += text.length;
    this.touch(state);
    return this.pendingBytes < this.options.maxPendingBytes;
  }

  touch(state: StreamState): void {
    this.dirty.add(state);
    if (this.pendingBytes < this.options.maxPendingBytes)
      this.timer ??= setTimeout(() => void this.flushQuietly(), this.options.flushIntervalMs);
    else if (!this.urgent) {
      // One early flush at a time, however many writes arrive before it starts.
      this.urgent = true;
      void this.flushQuietly();
    }
  }

  /** Writes everything pending; rejects if the database did not take it (it is kept). */
  flush(): Promise<void> {
    return this.serial.run(() => this.flushOnce());
  }

  private async flushQuietly(): Promise<void> {
    await this.flush().catch((err: unknown) => this.options.onError(err));
  }

  private drain(): Pending[] {
    const out: Pending[] = [];
    for (const s of this.dirty) {
      // NUL cannot be stored in PostgreSQL text; the same replacement in both backends.
      const raw = s.raw.join('').replaceAll('\u0000', '\uFFFD');
      let text = s.masker.push(raw);
      if (s.end) text += s.masker.end();
      out.push({ state: s, text, rawBytes: s.rawBytes - bytes(s.masker.pending), end: s.end });
      s.rawBytes = bytes(s.masker.pending);
      s.raw = [];
      s.end = undefined;
    }
    this.dirty.clear();
    this.pendingBytes = 0;
    this.urgent = false;
    return out;
  }

  private async flushOnce(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.retry, ...this.drain()];
    if (batch.length === 0) return;
    let committed: Map<StreamState, Committed>;
    try {
      committed = await this.db.transaction((tx) => writeBatch(tx, batch), { exclusive: true });
    } catch (err) {
      this.keep(batch);
      this.timer ??= setTimeout(() => void this.flushQuietly(), this.options.flushIntervalMs * 10);
      throw err;
    }
    this.retry = [];
    const runs = new Set<number>();
    for (const [state, c] of committed) {
      Object.assign(state, c);
      runs.add(state.runId);
    }
    for (const run of runs) this.events.emit('written', run);
  }

  private keep(batch: Pending[]): void {
    let total = batch.reduce((n, p) => n + p.text.length, 0);
    let dropped = 0;
    while (total > this.options.maxBufferedBytes && batch.length > 1) {
      const p = batch.shift();
      total -= p?.text.length ?? 0;
      dropped += p?.text.length ?? 0;
    }
    this.retry = batch;
    if (dropped > 0)
      this.options.onError(
        new RunStoreError('LogsDropped', this.db.location, `dropped ${dropped} chars of logs`),
      );
  }
}

interface Committed {
  id: number;
  size: number;
  rawSize: number;
}

async function streamRow(tx: SqlExec, s: StreamState): Promise<Committed> {
  const k = s.key;
  const rows = await tx.all(
    `INSERT INTO log_streams (run_id, task_run, task, step, attempt, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, task_run, step, attempt) DO UPDATE SET updated_at = excluded.updated_at
     RETURNING id, size, raw_size`,
    [s.runId, k.taskRun, k.task, k.step, k.attempt, Date.now()],
  );
  const r = rows[0] ?? {};
  return { id: num(r['id']), size: num(r['size']), rawSize: num(r['raw_size']) };
}

/** One transaction: streams created as needed, chunks inserted, sizes and ends updated. */
async function writeBatch(tx: SqlExec, batch: Pending[]): Promise<Map<StreamState, Committed>> {
  const after = new Map<StreamState, Committed>();
  const rows: SqlValue[][] = [];
  const ends = new Map<StreamState, { exitCode?: number | undefined }>();
  for (const p of batch) {
    let c = after.get(p.state);
    if (!c) {
      const s = p.state;
      c =
        s.id === undefined
          ? await streamRow(tx, s)
          : { id: s.id, size: s.size, rawSize: s.rawSize };
      after.set(s, c);
    }
    if (p.text !== '') {
      const end = c.size + bytes(p.text);
      rows.push([c.id, c.size, end, p.text]);
      c.size = end;
    }
    c.rawSize += p.rawBytes;
    if (p.end) ends.set(p.state, p.end);
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const part = rows.slice(i, i + ROWS_PER_INSERT);
    await tx.run(
      `INSERT INTO log_chunks (stream_id, start_offset, end_offset, data) VALUES ${part
        .map(() => `(${placeholders(4)})`)
        .join(', ')}`,
      part.flat(),
    );
  }
  const now = Date.now();
  for (const [state, c] of after) {
    const end = ends.get(state);
    await tx.run(
      `UPDATE log_streams SET size = ?, raw_size = ?, updated_at = ?${
        end ? ', finished = 1, exit_code = ?' : ''
      } WHERE id = ?`,
      end ? [c.size, c.rawSize, now, end.exitCode ?? null, c.id] : [c.size, c.rawSize, now, c.id],
    );
  }
  return after;
}

/** The writer of one run's logs (see LogWriter). */
export class RunLogWriter implements LogWriter {
  private readonly streams = new Map<string, StreamState>();
  private closed = false;
  private readonly batcher: LogBatcher;
  private readonly runId: number;
  private readonly ref: RunRef;
  private readonly secrets: SecretSet;

  constructor(batcher: LogBatcher, runId: number, ref: RunRef, secrets: SecretSet) {
    this.batcher = batcher;
    this.runId = runId;
    this.ref = ref;
    this.secrets = secrets;
  }

  private state(key: StreamKey): StreamState {
    if (this.closed)
      throw new RunStoreError('WriterClosed', this.ref, `log writer closed (step ${key.step})`);
    const full = {
      taskRun: key.taskRun,
      task: key.task,
      step: key.step,
      attempt: key.attempt ?? 0,
    };
    const id = JSON.stringify([full.taskRun, full.step, full.attempt]);
    let s = this.streams.get(id);
    if (!s) {
      s = {
        runId: this.runId,
        key: full,
        masker: this.secrets.stream(),
        raw: [],
        rawBytes: 0,
        end: undefined,
        id: undefined,
        size: 0,
        rawSize: 0,
      };
      this.streams.set(id, s);
    }
    return s;
  }

  write(stream: StreamKey, text: string): boolean {
    const s = this.state(stream);
    return text === '' || this.batcher.append(s, text);
  }

  endStep(stream: StreamKey, result: { exitCode?: number | undefined } = {}): void {
    const s = this.state(stream);
    s.end = { exitCode: result.exitCode };
    this.batcher.touch(s);
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
  }
}
