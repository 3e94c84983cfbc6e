import { describe, expect, it } from 'vitest';
import { execFile } from '../util/exec.ts';
import { formatTable, visibleWidth } from './output.ts';

const green = (s: string): string => `\x1b[32m${s}\x1b[0m`;

describe('formatTable', () => {
  it('aligns columns like kubectl and does not pad the last one', () => {
    const out = formatTable(
      ['NAME', 'STATUS'],
      [
        ['guestbook', 'Synced'],
        ['db', 'OutOfSync'],
      ],
    );
    expect(out).toBe('NAME        STATUS\nguestbook   Synced\ndb          OutOfSync\n');
  });

  it('measures coloured cells by what shows on screen', () => {
    const out = formatTable(
      ['SYNC', 'HEALTH', 'NAME'],
      [
        [green('Synced'), green('Healthy'), 'web'],
        ['OutOfSync', 'Missing', 'db'],
      ],
    );
    const plain = out.replaceAll(green('Synced'), 'Synced').replaceAll(green('Healthy'), 'Healthy');
    expect(plain).toBe(
      'SYNC        HEALTH    NAME\nSynced      Healthy   web\nOutOfSync   Missing   db\n',
    );
    expect(out).toContain(`${green('Synced')}      ${green('Healthy')}   web`);
  });
});

describe('visibleWidth', () => {
  it.each([
    ['plain', 'Synced', 6],
    ['coloured', green('Synced'), 6],
    ['bold and coloured', `\x1b[1m\x1b[31mFailed\x1b[0m`, 6],
    ['empty', '', 0],
  ])('%s', (_case, s, width) => {
    expect(visibleWidth(s)).toBe(width);
  });
});

describe('a closed stdout', () => {
  it('ends the process quietly (`sluice --help | head -1`)', async () => {
    // `true` exits without reading: by the time sluice prints, nobody reads its stdout.
    const script = `"${process.execPath}" bin/sluice.js --help | true; echo "exit=\${PIPESTATUS[0]}"`;
    const r = await execFile('bash', ['-c', script], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('exit=0');
  });
});
