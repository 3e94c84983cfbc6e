/**
 * Adds a row to the table of docs/benchmarks.md's "Issue 10 — rollouts" section (under the
 * section's last row, so rows other benchmarks append at the end of the file do not mix in),
 * creating the section with its table header when it is not there yet.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { execFile } from '../src/util/exec.ts';

/** The commit measured, and whether src/ had changes on top of it. */
export async function codeVersion(): Promise<string> {
  const head = await execFile('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = await execFile('git', ['status', '--porcelain', '--', 'src']);
  const sha = head.code === 0 ? head.stdout.trim() : 'unknown';
  return dirty.stdout.trim() ? `${sha} + local changes in src/` : sha;
}

export const SECTION = '## Issue 10 — rollouts (`npm run bench:rollouts -- --rollouts N`)';
export const TABLE_HEAD = [
  '| date (UTC) | code | rollouts | machine | cold: create -> all Healthy | no-op pass: controller requests / CPU | step advance p50 / p99 (samples) | abort p50 / p99 from the bad answer served (samples) | abort p50 / p99 from the measurement finishedAt | RSS peak | controller flags |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];

/** The text with `row` placed after the last table row of `section` (created if missing). */
export function withRow(text: string, row: string): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  const at = lines.indexOf(SECTION);
  if (at < 0) return [...lines, '', SECTION, '', ...TABLE_HEAD, row, ''].join('\n');
  let first = at + 1;
  while (first < lines.length && !lines[first]?.startsWith('|')) {
    if (lines[first]?.startsWith('## ')) break;
    first++;
  }
  if (first >= lines.length || !lines[first]?.startsWith('|')) {
    lines.splice(at + 1, 0, '', ...TABLE_HEAD, row);
    return `${lines.join('\n')}\n`;
  }
  let last = first;
  while (lines[last + 1]?.startsWith('|')) last++;
  lines.splice(last + 1, 0, row);
  return `${lines.join('\n')}\n`;
}

export async function addRow(file: string, row: string): Promise<void> {
  await writeFile(file, withRow(await readFile(file, 'utf8'), row));
}
