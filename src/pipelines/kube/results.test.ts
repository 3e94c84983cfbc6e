import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultSpec } from '../../api/pipeline.ts';
import { describeProblem, parseResults, resultsScript } from './results.ts';

const specs: ResultSpec[] = [
  { name: 'digest' },
  { name: 'tags', type: 'array' },
  { name: 'info', type: 'object' },
  { name: 'unwritten' },
];

/** Runs the results script with the host's sh over files in a temp dir. */
const dir = mkdtempSync(join(tmpdir(), 'sluice-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function printed(files: Record<string, string | Buffer>, names: string[]): string {
  for (const [n, v] of Object.entries(files)) writeFileSync(join(dir, n), v);
  return execFileSync('/bin/sh', ['-c', resultsScript(dir), 'sluice-results', ...names], {
    encoding: 'utf8',
  });
}

describe('results: printed by the pod, read by the controller', () => {
  it('round-trips strings (newlines kept), arrays and objects; unwritten ones are absent', () => {
    const log = printed(
      { digest: 'sha256:abc\n', tags: '["v1","latest"]', info: '{"os":"linux"}' },
      specs.map((s) => s.name),
    );
    expect(parseResults(log, specs)).toEqual({
      ok: true,
      results: [
        { name: 'digest', value: 'sha256:abc\n' },
        { name: 'tags', type: 'array', value: ['v1', 'latest'] },
        { name: 'info', type: 'object', value: { os: 'linux' } },
      ],
    });
  });

  it('keeps bytes that are not text-safe for a log line', () => {
    const log = printed({ digest: 'a b\tc\r\n=end' }, ['digest']);
    expect(parseResults(log, [{ name: 'digest' }])).toMatchObject({
      results: [{ value: 'a b\tc\r\n=end' }],
    });
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'a result past 4096 bytes',
      { digest: 'x'.repeat(4097) },
      'result "digest" is 4097 bytes, more than the 4096 bytes a result may hold',
    ],
    [
      'an array result that is not JSON',
      { tags: 'v1 v2' },
      'result "tags" is declared as an array but what the step wrote is not JSON of that shape',
    ],
  ])('fails %s, naming it', (_, files, message) => {
    const parsed = parseResults(printed(files, Object.keys(files)), specs);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(describeProblem(parsed.problem)).toBe(message);
  });

  it('accepts exactly 4096 bytes', () => {
    const parsed = parseResults(printed({ digest: 'y'.repeat(4096) }, ['digest']), specs);
    expect(parsed.ok && parsed.results[0]?.value).toHaveLength(4096);
  });

  it('says so when the log was cut short', () => {
    expect(parseResults('--- sluice results v1 ---\ndigest =YQ==\n', specs)).toEqual({
      ok: false,
      problem: { kind: 'Unreadable', detail: 'the results log is incomplete' },
    });
  });
});
