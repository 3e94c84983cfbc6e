/** `sluice rollout` argument handling: usage errors exit 2 before anything connects. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, program } from '../main.ts';
import { parseDelay } from './operations.ts';

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

// A kubeconfig that cannot exist: a usage error must be found before it is looked for.
const run = (...args: string[]): Promise<number> =>
  main(['node', 'sluice', 'rollout', ...args, '--kubeconfig', '/nonexistent/kubeconfig']);

describe('sluice rollout usage errors exit 2', () => {
  it.each<[string, string[], string]>([
    ['get without a name', ['get'], "missing required argument 'name'"],
    ['--watch with -o json', ['get', 'web', '-w', '-o', 'json'], '--watch draws the table'],
    [
      '--exit-on-complete without --watch',
      ['get', 'web', '--exit-on-complete'],
      'goes with --watch',
    ],
    ['an unknown output', ['list', '-o', 'xml'], 'Allowed choices are table, json, yaml'],
    ['a bad --to-revision', ['undo', 'web', '--to-revision', 'last'], '--to-revision must be'],
    ['a zero --to-revision', ['undo', 'web', '--to-revision', '0'], '--to-revision must be'],
    ['set-image without CONTAINER=', ['set-image', 'web', 'nginx:1'], 'CONTAINER=IMAGE'],
    [
      'set-image without an image',
      ['set-image', 'web'],
      "missing required argument 'container=image",
    ],
    ['a bad --in', ['restart', 'web', '--in', 'soon'], '--in must look like'],
    [
      'an unknown flag',
      ['promote', 'web', '--skip-current-step'],
      "unknown option '--skip-current-step'",
    ],
  ])('%s', async (_case, args, message) => {
    expect(await run(...args)).toBe(2);
    expect(stderr).toContain(message);
  });

  it('a missing kubeconfig is not a usage error', async () => {
    expect(await run('get', 'web')).toBe(1);
    expect(stderr).toContain('no kubeconfig');
  });
});

describe('sluice rollout flags', () => {
  const rollout = program().commands.find((c) => c.name() === 'rollout');
  const sub = (name: string) => rollout?.commands.find((c) => c.name() === name);
  const flags = (name: string) => sub(name)?.options.map((o) => o.flags) ?? [];

  it('has the commands kubectl argo rollouts users know', () => {
    expect(rollout?.commands.map((c) => c.name()).sort()).toEqual(
      ['abort', 'get', 'list', 'pause', 'promote', 'restart', 'retry', 'set-image', 'undo'].sort(),
    );
  });

  it.each(['list', 'get', 'promote', 'abort', 'retry', 'pause', 'restart', 'undo', 'set-image'])(
    '%s takes -n/--namespace',
    (name) => {
      expect(flags(name)).toContain('-n, --namespace <ns>');
    },
  );

  it('names the flags as the plugin does', () => {
    expect(flags('list')).toContain('-A, --all-namespaces');
    expect(flags('get')).toEqual(expect.arrayContaining(['-w, --watch', '-o, --output <format>']));
    expect(flags('promote')).toContain('--full');
    expect(flags('undo')).toContain('--to-revision <n>');
  });

  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['10', 10_000],
  ])('--in %s', (v, ms) => {
    expect(parseDelay(v)).toBe(ms);
  });
});
