/** The CLI side: log lines with prefixes, database URLs, list rows. */
import { describe, expect, it } from 'vitest';
import { RunStoreError } from './errors.ts';
import { defaultStoreUrl, parseDatabaseUrl } from './open.ts';
import { formatAge, LogPrinter, runSummary } from './reader.ts';
import type { LogChunk, RunRecord } from './types.ts';

let id = 0;
function chunk(task: string, step: string, text: string, attempt = 0): LogChunk {
  return {
    id: ++id,
    offset: 0,
    text,
    stream: { taskRun: `r-${task}`, task, step, attempt, size: 0, rawSize: 0, finished: false },
  };
}

describe('LogPrinter', () => {
  it('prefixes whole lines and keeps a partial line of one step apart from another step', () => {
    const p = new LogPrinter({ prefix: true });
    expect(p.format(chunk('build', 'make', 'one\ntw'))).toBe('[build : make] one\n');
    expect(p.format(chunk('test', 'unit', 'ok\n'))).toBe('[test : unit] ok\n');
    expect(p.format(chunk('build', 'make', 'o\nthree'))).toBe('[build : make] two\n');
    expect(p.end()).toBe('[build : make] three\n');
  });

  it('names a retry, and prints bare lines for one step', () => {
    expect(new LogPrinter({ prefix: true }).format(chunk('t', 's', 'x\n', 2))).toBe(
      '[t : s (retry 2)] x\n',
    );
    expect(new LogPrinter({ prefix: false }).format(chunk('t', 's', 'x\n\ny\n'))).toBe('x\n\ny\n');
  });
});

describe('parseDatabaseUrl', () => {
  it.each([
    [
      'postgres://ci:pw@127.0.0.1:5432/sluice',
      { backend: 'postgres', url: 'postgres://ci:pw@127.0.0.1:5432/sluice' },
    ],
    ['postgresql://db/sluice', { backend: 'postgres', url: 'postgresql://db/sluice' }],
    ['sqlite:/var/lib/sluice/runs.db', { backend: 'sqlite', path: '/var/lib/sluice/runs.db' }],
    ['sqlite:///var/lib/runs.db', { backend: 'sqlite', path: '/var/lib/runs.db' }],
    ['./runs.db', { backend: 'sqlite', path: './runs.db' }],
  ])('%s', (url, want) => {
    expect(parseDatabaseUrl(url)).toEqual(want);
  });

  it("defaults to the controller's store", () => {
    expect(parseDatabaseUrl(undefined)).toEqual(parseDatabaseUrl(defaultStoreUrl()));
  });

  it('refuses other schemes without printing the password', () => {
    const err = (() => {
      try {
        parseDatabaseUrl('mysql://root:hunter2@db/x');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RunStoreError);
    expect((err as RunStoreError).reason).toBe('InvalidDatabaseUrl');
    expect((err as RunStoreError).message).toBe(
      'run store mysql://root:***@db/x: not a database URL Sluice knows',
    );
  });
});

describe('runSummary', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const run: RunRecord = {
    uid: 'u',
    kind: 'PipelineRun',
    namespace: 'ci',
    name: 'build-x',
    pipeline: '',
    status: 'Failed',
    reason: 'PipelineRunTimeout',
    message: '',
    createdAt: '2026-12-01T10:59:00Z',
    startTime: '2026-12-01T11:00:00Z',
    completionTime: '2026-12-01T11:02:05Z',
    params: [],
    results: [],
  };

  it('shows status with reason, age and duration', () => {
    expect(runSummary(run, now)).toEqual({
      name: 'ci/build-x',
      pipeline: '(inline)',
      status: 'Failed (PipelineRunTimeout)',
      started: '60m ago',
      duration: '2m05s',
    });
    expect(
      runSummary({ ...run, status: 'Running', reason: 'Running', completionTime: undefined }, now),
    ).toMatchObject({
      status: 'Running',
      duration: '60m00s',
    });
  });

  it.each([
    [5_000, '5s'],
    [150_000, '2m'],
    [3 * 3600_000, '3h'],
    [72 * 3600_000, '3d'],
  ])('formatAge(%i) = %s', (ms, want) => {
    expect(formatAge(ms)).toBe(want);
  });
});
