import { describe, expect, it } from 'vitest';
import { pushArgs, readPush } from './push.ts';

describe('pushArgs', () => {
  it('never forces: no --force, no -f, no + refspec', () => {
    for (const args of [pushArgs('main'), pushArgs('auto', { 'merge_request.create': '' })]) {
      expect(args.some((a) => /^(--force|-f$|--force-with-lease|\+)/.test(a))).toBe(false);
      expect(args.at(-1)).toMatch(/^HEAD:refs\/heads\//);
    }
    expect(
      pushArgs('auto', { 'merge_request.create': '', 'merge_request.target': 'main' }),
    ).toEqual([
      'push',
      '--porcelain',
      '--quiet',
      '--push-option=merge_request.create',
      '--push-option=merge_request.target=main',
      'origin',
      'HEAD:refs/heads/auto',
    ]);
  });
});

describe('readPush', () => {
  const out = (flag: string, summary: string) =>
    `To file:///srv/deploy.git\n${flag}\tHEAD:refs/heads/main\t${summary}\nDone\n`;
  const cases: Array<[string, string, ReturnType<typeof readPush>['kind']]> = [
    ['fast-forward', out(' ', '3f2a9c1..4b5c6d7'), 'pushed'],
    ['new branch', out('*', '[new branch]'), 'pushed'],
    ['up to date', out('=', '[up to date]'), 'pushed'],
    ['fetch first', out('!', '[rejected] (fetch first)'), 'stale'],
    ['non-fast-forward', out('!', '[rejected] (non-fast-forward)'), 'stale'],
    ['a hook', out('!', '[remote rejected] (pre-receive hook declined)'), 'refused'],
    ['a lost race for the lock', out('!', '[remote rejected] (failed to update ref)'), 'stale'],
    [
      'a lost race (older git)',
      out('!', "[remote rejected] (cannot lock ref 'refs/heads/main')"),
      'stale',
    ],
    ['no ref line (transport failure)', 'fatal: unable to access\n', 'failed'],
  ];
  it.each(cases)('%s', (_what, stdout, kind) => {
    expect(readPush(stdout, 'main').kind).toBe(kind);
  });

  it('reads only the line of the branch pushed', () => {
    expect(readPush(out('!', '[rejected] (fetch first)'), 'other').kind).toBe('failed');
  });
});
