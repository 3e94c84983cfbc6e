/** Usage errors exit 2, from every command (they never reach a cluster). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

let stderr = '';
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const run = (...args: string[]): Promise<number> => main(['node', 'sluice', ...args]);

describe('sluice exit codes', () => {
  it.each<[string, string[], string]>([
    ['an unknown flag', ['app', 'list', '--bogus'], "unknown option '--bogus'"],
    ['a missing argument', ['app', 'get'], "missing required argument 'name'"],
    ['an invalid choice', ['app', 'list', '-o', 'xml'], 'Allowed choices are table, json, yaml'],
    ['an unknown command', ['app', 'frobnicate'], "unknown command 'frobnicate'"],
    ['a bad --timeout', ['app', 'wait', 'x', '--timeout', 'soon'], '--timeout must be'],
    [
      '--sync-policy none with --auto-prune',
      ['app', 'create', 'x', '--repo', 'file:///r', '--sync-policy', 'none', '--auto-prune'],
      '--sync-policy none contradicts',
    ],
    [
      'a project name that cannot be one',
      ['app', 'create', 'x', '--repo', 'file:///r', '--project', 'Team A'],
      'is not an AppProject name',
    ],
    ['a bad --cascade value', ['app', 'delete', 'x', '--cascade=maybe'], '--cascade'],
    ['a bad --listen', ['controller', '--listen', 'nowhere'], '--listen "nowhere"'],
    [
      'a bad --admission-failure-policy',
      ['controller', '--admission-failure-policy', 'Maybe'],
      '--admission-failure-policy "Maybe" must be Fail or Ignore',
    ],
    [
      'an --admission-timeout over 30 s',
      ['controller', '--admission-timeout', '60'],
      '--admission-timeout must be 30 seconds or less',
    ],
    [
      '--admission-listen off',
      ['controller', '--admission-listen', 'off'],
      '--admission-listen needs host:port',
    ],
    [
      'a bad --keep-pods',
      ['controller', '--keep-pods', 'ten'],
      'must be a whole number, 0 or more',
    ],
    [
      'a negative --max-concurrent-runs',
      ['controller', '--max-concurrent-runs', '-1'],
      '0 or more',
    ],
    [
      'a zero --concurrency',
      ['controller', '--concurrency', '0'],
      'must be a whole number, 1 or more',
    ],
  ])('%s exits 2', async (_case, args, message) => {
    expect(await run(...args)).toBe(2);
    expect(stderr).toContain(message);
  });

  it('--help exits 0', async () => {
    expect(await run('app', 'delete', '--help')).toBe(0);
  });
});
