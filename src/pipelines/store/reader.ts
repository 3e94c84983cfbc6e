/**
 * What the CLI needs from the store once the pods are gone: `printLogs` for
 * `sluice pipeline logs [-f] RUN [--task T] [--step S]` (lines prefixed `[task : step]` like
 * tkn when more than one step is shown; whole lines only, so parallel tasks never mix inside a
 * line) and `runSummary` for the rows of `sluice pipeline list / get`.
 *
 * @example
 * const store = await openRunStore({ databaseUrl });
 * await printLogs(store, { namespace, name }, { follow: true, task }, (s) => process.stdout.write(s));
 */
import { formatDuration } from '../../util/progress.ts';
import { formatRun, RunStoreError, runNotFound } from './errors.ts';
import type { LogChunk, LogSelector, RunHistory, RunRecord, RunRef, RunStore } from './types.ts';

/** Turns chunks of several streams into whole, prefixed lines. */
export class LogPrinter {
  private readonly partial = new Map<string, { prefix: string; text: string }>();
  private readonly prefixed: boolean;

  constructor(options: { prefix: boolean }) {
    this.prefixed = options.prefix;
  }

  private static prefix(c: LogChunk): string {
    const attempt = c.stream.attempt > 0 ? ` (retry ${c.stream.attempt})` : '';
    const task = c.stream.task || c.stream.taskRun;
    return `[${task} : ${c.stream.step}${attempt}] `;
  }

  /** The complete lines of `chunk` (with what its stream had pending). */
  format(chunk: LogChunk): string {
    const s = chunk.stream;
    const key = JSON.stringify([s.taskRun, s.step, s.attempt]);
    const prefix = this.prefixed ? LogPrinter.prefix(chunk) : '';
    const text = (this.partial.get(key)?.text ?? '') + chunk.text;
    const cut = text.lastIndexOf('\n') + 1;
    if (cut < text.length) this.partial.set(key, { prefix, text: text.slice(cut) });
    else this.partial.delete(key);
    if (cut === 0) return '';
    const lines = text.slice(0, cut - 1).split('\n');
    return lines.map((l) => prefix + l + '\n').join('');
  }

  /** What is left: unterminated last lines, each ended. */
  end(): string {
    const out = [...this.partial.values()].map((p) => `${p.prefix}${p.text}\n`).join('');
    this.partial.clear();
    return out;
  }
}

/** Checks that a finished run has logs for `sel`, naming what it has if not. */
function checkSelection(history: RunHistory, sel: LogSelector, ref: RunRef): void {
  const matches = history.streams.filter(
    (s) =>
      (sel.task === undefined || s.task === sel.task || s.taskRun === sel.task) &&
      (sel.step === undefined || s.step === sel.step),
  );
  if (matches.length > 0 || history.streams.length === 0) return;
  const have = [...new Set(history.streams.map((s) => `${s.task || s.taskRun}/${s.step}`))];
  const what = [
    sel.task === undefined ? '' : `task "${sel.task}"`,
    sel.step === undefined ? '' : `step "${sel.step}"`,
  ].filter((x) => x !== '');
  throw new RunStoreError(
    'RunNotFound',
    { ...ref, kind: history.run.kind, name: history.run.name },
    `no logs for ${what.join(', ')}`,
    { hint: `logs kept (task/step): ${have.join(', ')}` },
  );
}

export interface PrintLogsOptions extends LogSelector {
  follow?: boolean | undefined;
  signal?: AbortSignal | undefined;
  pollMs?: number | undefined;
}

/** Writes a run's logs; with `follow`, until the selection is finished. Returns the run. */
export async function printLogs(
  store: RunStore,
  ref: RunRef,
  options: PrintLogsOptions,
  write: (text: string) => void,
): Promise<RunHistory> {
  const history = await store.getRun(ref);
  if (!history) throw runNotFound(ref);
  const byUid = { ...ref, uid: history.run.uid };
  const sel = { task: options.task, step: options.step };
  if (!options.follow || history.run.completionTime) checkSelection(history, sel, ref);
  // One task and step: bare lines, as `kubectl logs -c`; anything wider: prefixed lines.
  const printer = new LogPrinter({
    prefix: options.task === undefined || options.step === undefined,
  });
  const chunks = options.follow
    ? store.followLogs(byUid, { ...sel, signal: options.signal, pollMs: options.pollMs })
    : await store.readLogs(byUid, sel);
  for await (const c of chunks) {
    const text = printer.format(c);
    if (text) write(text);
  }
  const rest = printer.end();
  if (rest) write(rest);
  return history;
}

export interface RunSummary {
  name: string;
  pipeline: string;
  status: string;
  started: string;
  duration: string;
}

/** An age like kubectl's: 45s, 12m, 5h, 3d. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** One row of `pipeline list`: status with its reason when it says more, age, duration. */
export function runSummary(run: RunRecord, now = Date.now()): RunSummary {
  const started = run.startTime ?? run.createdAt;
  const age = Date.parse(started);
  const end = run.completionTime ? Date.parse(run.completionTime) : now;
  return {
    name: formatRun({ namespace: run.namespace, name: run.name }),
    pipeline: run.pipeline || '(inline)',
    status: run.reason && run.reason !== run.status ? `${run.status} (${run.reason})` : run.status,
    started: Number.isFinite(age) ? `${formatAge(Math.max(0, now - age))} ago` : '',
    duration: run.startTime && Number.isFinite(age) ? formatDuration(Math.max(0, end - age)) : '',
  };
}
