import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { afterRestart, decide, type JournalEntry, RenderJournal } from './quarantine.ts';

const NOW = new Date('2026-05-01T12:00:00Z');
const at = '2026-05-01T11:59:00Z';
const entry = (patch: Partial<JournalEntry> = {}): JournalEntry => ({
  key: 'sha:apps/bad:h',
  app: 'ns/bad',
  deaths: 0,
  at,
  ...patch,
});

describe('afterRestart', () => {
  const cases: Array<[string, JournalEntry, boolean, JournalEntry | undefined]> = [
    [
      'in flight in a dead process: one more death',
      entry({ pid: 7 }),
      false,
      entry({ deaths: 1, at: NOW.toISOString() }),
    ],
    [
      'the second death in a row',
      entry({ pid: 7, deaths: 1 }),
      false,
      entry({ deaths: 2, at: NOW.toISOString() }),
    ],
    [
      'released, then died again: quarantined again',
      entry({ pid: 7, deaths: 2, retry: true, seen: { 'ns/bad': '1' } }),
      false,
      entry({ deaths: 3, seen: { 'ns/bad': '1' }, at: NOW.toISOString() }),
    ],
    ['in flight in a process that runs: left alone', entry({ pid: 7 }), true, entry({ pid: 7 })],
    ['not in flight: unchanged', entry({ deaths: 1 }), false, entry({ deaths: 1 })],
    [
      'untouched for over 30 days: forgotten',
      entry({ deaths: 2, at: '2026-03-01T00:00:00Z' }),
      false,
      undefined,
    ],
  ];
  it.each(cases)('%s', (_name, before, alive, after) => {
    expect(afterRestart([before], () => alive, NOW)).toEqual(after ? [after] : []);
  });
});

describe('decide', () => {
  const cases: Array<[string, JournalEntry | undefined, string, ReturnType<typeof decide>]> = [
    ['no entry: render with the others', undefined, '', 'render'],
    ['no death: render with the others', entry(), '', 'render'],
    ['one death: render alone', entry({ deaths: 1 }), '', 'alone'],
    ['two deaths: quarantined', entry({ deaths: 2 }), '', 'quarantined'],
    [
      'two deaths, told with no annotation, still none',
      entry({ deaths: 2, seen: { 'ns/bad': '' } }),
      '',
      'quarantined',
    ],
    [
      'two deaths, annotation changed since told',
      entry({ deaths: 2, seen: { 'ns/bad': '' } }),
      '1',
      'released',
    ],
    [
      'another app with the same render is not released',
      entry({ deaths: 2, seen: { 'ns/other': '' } }),
      '1',
      'quarantined',
    ],
  ];
  it.each(cases)('%s', (_name, e, release, expected) => {
    expect(decide(e, 'ns/bad', release)).toBe(expected);
  });
});

describe('RenderJournal', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-journal-'));
    file = join(dir, 'render-journal.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const onDisk = async (): Promise<JournalEntry[]> =>
    JSON.parse(await readFile(file, 'utf8')) as JournalEntry[];

  it('marks a render in flight on disk before it runs, and forgets it after', async () => {
    const journal = new RenderJournal(file);
    const during = await journal.run('ns/a', 'k1', async () => onDisk());
    expect(during).toMatchObject([{ key: 'k1', app: 'ns/a', pid: process.pid, deaths: 0 }]);
    expect(await onDisk()).toEqual([]);
    await expect(journal.run('ns/a', 'k1', () => Promise.reject(new Error('bad')))).rejects.toThrow(
      'bad',
    );
    expect(await onDisk()).toEqual([]);
  });

  it('counts a death per restart and quarantines at two; a new annotation value releases', async () => {
    // This process's own PID in the file is an entry from before a restart of this process.
    await writeFile(file, JSON.stringify([entry({ pid: process.pid })]));
    const first = new RenderJournal(file, undefined, NOW);
    expect(first.quarantined('ns/bad', 'sha:apps/bad:h')).toBeUndefined();
    await writeFile(file, JSON.stringify([entry({ pid: process.pid, deaths: 1 })]));
    const second = new RenderJournal(file, undefined, NOW);
    expect(second.quarantined('ns/bad', 'sha:apps/bad:h')?.deaths).toBe(2);
    expect(second.quarantined('ns/bad', 'sha:apps/bad:h', '')).toBeDefined();
    expect(second.quarantined('ns/bad', 'sha:apps/bad:h', 'retry-1')).toBeUndefined();
    // Released for one more try, alone: one more death quarantines it again.
    expect((await onDisk())[0]).toMatchObject({ deaths: 2, retry: true });
    // A render that completes clears it.
    await second.run('ns/bad', 'sha:apps/bad:h', async () => 'ok');
    expect(await onDisk()).toEqual([]);
  });

  it('runs a render that was in flight at a death alone: others wait for it, it waits for them', async () => {
    await writeFile(file, JSON.stringify([entry({ key: 'suspect', pid: process.pid })]));
    const journal = new RenderJournal(file, undefined, NOW);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const normal = journal.run('ns/a', 'a', async () => {
      order.push('a start');
      await gate;
      order.push('a end');
    });
    await Promise.resolve();
    const suspect = journal.run('ns/s', 'suspect', async () => {
      order.push('suspect');
    });
    const later = journal.run('ns/b', 'b', async () => {
      order.push('b');
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['a start']);
    release();
    await Promise.all([normal, suspect, later]);
    expect(order).toEqual(['a start', 'a end', 'suspect', 'b']);
  });

  it('reads a missing or broken file as an empty journal', async () => {
    expect(new RenderJournal(file).list()).toEqual([]);
    await writeFile(file, '{not json');
    expect(new RenderJournal(file).list()).toEqual([]);
  });
});
