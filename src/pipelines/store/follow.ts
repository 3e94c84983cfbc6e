/**
 * Reading logs back: whole or from a byte offset (`readLogs`, grouped by stream in the order
 * the streams began), or following (`followLogs`: chunks in the order they were written, across
 * the selected streams, until the selection is finished).
 *
 * When a follow ends: with a step selected, when every matching stream is finished; with a
 * task selected, when every matching task record is finished; else when the run is. A finished
 * run always ends it (a step its controller lost never finishes). Writers close (flush) before
 * they record a task or run as finished, so ending never loses the last chunks: the end is
 * checked before the last read. Chunks written by this process wake followers at once; those
 * written by another process are found by polling (`pollMs`).
 */
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { num, optNum, str, type Row, type SqlDb, type SqlValue } from './sql.ts';
import {
  FINISHED_STATUSES,
  type FollowOptions,
  type LogChunk,
  type LogSelector,
  type ReadOptions,
  type RunStatus,
  type StreamInfo,
} from './types.ts';

const PAGE = 500;
const FINISHED_SQL = `(${[...FINISHED_STATUSES].map((s) => `'${s}'`).join(', ')})`;

const CHUNKS = `SELECT c.id, c.start_offset, c.data, s.task_run, s.task, s.step, s.attempt,
  s.size, s.raw_size, s.finished, s.exit_code
  FROM log_chunks c JOIN log_streams s ON s.id = c.stream_id`;

/** `AND …` for a selection, on a table aliased `s` with task_run, task (and step). */
function where(sel: LogSelector, withStep = true): { sql: string; params: SqlValue[] } {
  let sql = '';
  const params: SqlValue[] = [];
  if (sel.task !== undefined) {
    sql += ' AND (s.task = ? OR s.task_run = ?)';
    params.push(sel.task, sel.task);
  }
  if (withStep && sel.step !== undefined) {
    sql += ' AND s.step = ?';
    params.push(sel.step);
  }
  return { sql, params };
}

export function streamInfo(r: Row): StreamInfo {
  return {
    taskRun: str(r['task_run']),
    task: str(r['task']),
    step: str(r['step']),
    attempt: num(r['attempt']),
    size: num(r['size']),
    rawSize: num(r['raw_size']),
    finished: num(r['finished']) === 1,
    exitCode: optNum(r['exit_code']),
  };
}

function chunk(r: Row, from = 0): LogChunk {
  const offset = num(r['start_offset']);
  let text = str(r['data']);
  if (from > offset)
    text = Buffer.from(text, 'utf8')
      .subarray(from - offset)
      .toString('utf8');
  return { id: num(r['id']), stream: streamInfo(r), offset: Math.max(offset, from), text };
}

export async function readLogs(
  db: SqlDb,
  runId: number,
  options: ReadOptions = {},
): Promise<LogChunk[]> {
  const from = options.from ?? 0;
  const w = where(options);
  const rows = await db.all(
    `${CHUNKS} WHERE s.run_id = ?${w.sql} AND c.end_offset > ? ORDER BY s.id, c.id`,
    [runId, ...w.params, from],
  );
  return rows.map((r) => chunk(r, from));
}

async function chunksAfter(
  db: SqlDb,
  runId: number,
  sel: LogSelector,
  after: number,
): Promise<LogChunk[]> {
  const w = where(sel);
  const rows = await db.all(
    `${CHUNKS} WHERE s.run_id = ?${w.sql} AND c.id > ? ORDER BY c.id LIMIT ${PAGE}`,
    [runId, ...w.params, after],
  );
  return rows.map((r) => chunk(r));
}

/** Whether a follow of `sel` is over (see the header). */
export async function selectionFinished(
  db: SqlDb,
  runId: number,
  sel: LogSelector,
): Promise<boolean> {
  const run = await db.all('SELECT status FROM runs WHERE id = ?', [runId]);
  const status = run[0]?.['status'];
  if (status === undefined || FINISHED_STATUSES.has(str(status) as RunStatus)) return true;
  const w = where(sel, false);
  if (sel.step !== undefined) {
    const rows = await db.all(
      `SELECT COUNT(*) AS n, SUM(s.finished) AS f FROM log_streams s
       WHERE s.run_id = ?${w.sql} AND s.step = ?`,
      [runId, ...w.params, sel.step],
    );
    const n = num(rows[0]?.['n'] ?? 0);
    return n > 0 && optNum(rows[0]?.['f']) === n;
  }
  if (sel.task !== undefined) {
    const rows = await db.all(
      `SELECT COUNT(*) AS n,
         SUM(CASE WHEN s.status IN ${FINISHED_SQL} THEN 1 ELSE 0 END) AS f
       FROM tasks s WHERE s.run_id = ?${w.sql}`,
      [runId, ...w.params],
    );
    const n = num(rows[0]?.['n'] ?? 0);
    return n > 0 && optNum(rows[0]?.['f']) === n;
  }
  return false;
}

/** Resolves when chunks of `runId` were written here, after `ms`, or on abort. */
async function wake(
  events: EventEmitter,
  runId: number,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const done = new AbortController();
  const onAbort = (): void => done.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const onWritten = (id: number): void => {
    if (id === runId) done.abort();
  };
  events.on('written', onWritten);
  try {
    await sleep(ms, undefined, { signal: done.signal }).catch(() => undefined);
  } finally {
    events.off('written', onWritten);
    signal?.removeEventListener('abort', onAbort);
  }
}

export async function* followLogs(
  db: SqlDb,
  events: EventEmitter,
  runId: number,
  options: FollowOptions = {},
): AsyncGenerator<LogChunk> {
  let cursor = options.after ?? 0;
  const sel: LogSelector = { task: options.task, step: options.step };
  while (!options.signal?.aborted) {
    const done = await selectionFinished(db, runId, sel);
    for (;;) {
      const page = await chunksAfter(db, runId, sel, cursor);
      for (const c of page) {
        cursor = c.id;
        yield c;
      }
      if (page.length < PAGE) break;
    }
    if (done) return;
    await wake(events, runId, options.pollMs ?? 250, options.signal);
  }
}
