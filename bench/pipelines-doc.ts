/**
 * The pipelines benchmark's row in docs/benchmarks.md, section "Issue 11 — pipelines": placed
 * under the section's last row (rows other benchmarks append at the end of the file do not
 * mix in); the section and its table header are created when missing.
 */
import { readFile, writeFile } from 'node:fs/promises';

export const SECTION = '## Issue 11 — pipelines (`npm run bench:pipelines [-- --runs N]`)';
export const TABLE_HEAD = [
  '| date (UTC) | machine, load avg (start / chain / dag / queue / end) | task overhead: step exit -> next step start, p50 / p99 | (a) TaskRun created -> step running, p50 / p99 | (b) task finished -> next pod created, p50 / p99 | 5-task DAG / one-task run, median | queued runs: Succeeded / lost / run twice / most running | queue: all done | controller RSS peak | where the gap goes (medians) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];

/** How the runs table's header starts (its first column). */
const RUNS_TABLE = '| date (UTC) |';

export interface RowInput {
  who: string;
  started: Date;
  cpus: number;
  load: Record<string, number>;
  result: {
    task_overhead_p50_ms: number;
    task_overhead_p99_ms: number;
    task_start_p50_ms: number;
    task_start_p99_ms: number;
    handoff_p50_ms: number;
    handoff_p99_ms: number;
    dag5_s: number;
    one_task_s: number;
    queued_runs?: number;
    succeeded_runs?: number;
    lost_runs?: number;
    duplicate_runs?: number;
    max_running?: number;
    queue_total_s?: number;
    rss_mb?: number;
  };
  parts: Record<string, number>;
  nodeOptions: string;
}

export function row(i: RowInput): string {
  const r = i.result;
  const load = ['start', 'chain', 'dag5', 'queue', 'end'].map((k) => i.load[k] ?? '-').join(' / ');
  const parts = Object.entries(i.parts)
    .map(([k, v]) => `${k} ${v} ms`)
    .join('; ');
  return [
    '',
    // Sluice's row is the table's; another controller measured in the same run says so.
    `${i.started.toISOString().slice(0, 16).replace('T', ' ')}${i.who === 'Sluice' ? '' : ` (${i.who})`}`,
    `${i.cpus} CPU, ${load}`,
    `**${r.task_overhead_p50_ms}** / ${r.task_overhead_p99_ms} ms`,
    `${r.task_start_p50_ms} / ${r.task_start_p99_ms} ms`,
    `${r.handoff_p50_ms} / ${r.handoff_p99_ms} ms`,
    `**${r.dag5_s} s** / ${r.one_task_s} s`,
    r.queued_runs === undefined
      ? '-'
      : `${r.succeeded_runs}/${r.queued_runs} / ${r.lost_runs} / ${r.duplicate_runs} / ${r.max_running}`,
    r.queue_total_s === undefined ? '-' : `${r.queue_total_s} s`,
    r.rss_mb === undefined ? '-' : `${r.rss_mb} MB${i.nodeOptions ? ` (${i.nodeOptions})` : ''}`,
    parts,
    '',
  ]
    .join(' | ')
    .trim();
}

/**
 * The text with `line` placed after the last row of the section's runs table (created if
 * missing); other tables in the section (the side-by-side with Tekton) are left alone.
 */
export function withRow(text: string, line: string): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  const at = lines.indexOf(SECTION);
  if (at < 0) return [...lines, '', SECTION, '', ...TABLE_HEAD, line, ''].join('\n');
  let end = at + 1;
  while (end < lines.length && !lines[end]?.startsWith('## ')) end++;
  const head = lines.slice(at, end).findIndex((l) => l.startsWith(RUNS_TABLE));
  if (head < 0) {
    lines.splice(at + 1, 0, '', ...TABLE_HEAD, line);
    return `${lines.join('\n')}\n`;
  }
  let last = at + head;
  while (lines[last + 1]?.startsWith('|')) last++;
  lines.splice(last + 1, 0, line);
  return `${lines.join('\n')}\n`;
}

export async function addRows(file: string, lines: readonly string[]): Promise<void> {
  let text = await readFile(file, 'utf8');
  for (const l of lines) text = withRow(text, l);
  await writeFile(file, text);
}
