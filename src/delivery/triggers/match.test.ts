import { describe, expect, it } from 'vitest';
import type { TriggerRefStatus } from '../../api/trigger.ts';
import { filtersHash, MAX_REFS, pathsDecision, planCheck, refWanted } from './match.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('refWanted', () => {
  const cases: Array<[string, { branches?: string[]; tags?: string[] }, string, boolean]> = [
    ['no filter: a branch', {}, 'refs/heads/dev', true],
    ['no filter: a tag', {}, 'refs/tags/v1', true],
    ['no filter: not a branch or tag', {}, 'refs/pull/1/head', false],
    ['a branch glob', { branches: ['release/*'] }, 'refs/heads/release/v1', true],
    ['branches only: tags are not wanted', { branches: ['*'] }, 'refs/tags/v1', false],
    ['tags only: branches are not wanted', { tags: ['v*'] }, 'refs/heads/main', false],
    ['a tag glob', { tags: ['v*'] }, 'refs/tags/v1.2.3', true],
    ['an excluded branch', { branches: ['**', '!wip/**'] }, 'refs/heads/wip/x', false],
    ['an empty list selects nothing', { branches: [] }, 'refs/heads/main', false],
  ];
  it.each(cases)('%s', (_n, spec, ref, want) => expect(refWanted(spec, ref)).toBe(want));
});

const known = (ref: string, commit: string): TriggerRefStatus => ({
  ref,
  commit,
  handledAt: '2026-01-01T00:00:00Z',
  outcome: 'Started',
});

describe('planCheck', () => {
  const remote = new Map([
    ['refs/heads/main', B],
    ['refs/heads/dev', C],
    ['refs/tags/v1', A],
  ]);
  const spec = { branches: ['main', 'dev'] };

  it('records what is there on the first check, and runs nothing', () => {
    const p = planCheck({ spec, remote, known: undefined, filtersChanged: false });
    expect(p.baseline.map((b) => b.ref)).toEqual(['refs/heads/dev', 'refs/heads/main']);
    expect(p.events).toEqual([]);
  });

  it('a ref that moved is an event with the previous commit', () => {
    const p = planCheck({
      spec,
      remote,
      known: [known('refs/heads/main', A), known('refs/heads/dev', C)],
      filtersChanged: false,
    });
    expect(p.events).toEqual([{ ref: 'refs/heads/main', commit: B, previous: A }]);
    expect(p.baseline).toEqual([]);
  });

  it('a new branch is an event without a previous commit', () => {
    const p = planCheck({
      spec,
      remote,
      known: [known('refs/heads/main', B)],
      filtersChanged: false,
    });
    expect(p.events).toEqual([{ ref: 'refs/heads/dev', commit: C }]);
  });

  it('refs that a filter change brings in are a baseline', () => {
    const p = planCheck({
      spec,
      remote,
      known: [known('refs/heads/main', A)],
      filtersChanged: true,
    });
    expect(p.baseline).toEqual([{ ref: 'refs/heads/dev', commit: C }]);
    expect(p.events).toEqual([{ ref: 'refs/heads/main', commit: B, previous: A }]);
  });

  it('forgets refs that went away or are no longer wanted', () => {
    const p = planCheck({
      spec: { branches: ['main'] },
      remote,
      known: [known('refs/heads/main', B), known('refs/heads/dev', C), known('refs/heads/x', A)],
      filtersChanged: true,
    });
    expect(p.gone.sort()).toEqual(['refs/heads/dev', 'refs/heads/x']);
    expect(p.events).toEqual([]);
  });

  it('watches at most MAX_REFS refs and counts the rest', () => {
    const many = new Map<string, string>();
    for (let i = 0; i < MAX_REFS + 5; i++) many.set(`refs/tags/t${String(i).padStart(5, '0')}`, A);
    const p = planCheck({ spec: {}, remote: many, known: undefined, filtersChanged: false });
    expect(p.baseline).toHaveLength(MAX_REFS);
    expect(p.ignored).toBe(5);
  });
});

describe('filtersHash', () => {
  it('changes with the filters, not with their absence written differently', () => {
    expect(filtersHash({ branches: ['main'] })).not.toBe(filtersHash({ branches: ['dev'] }));
    expect(filtersHash({ branches: ['main'] })).toBe(filtersHash({ branches: ['main'] }));
  });
});

describe('pathsDecision', () => {
  const cases: Array<
    [string, { paths?: string[]; pathsIgnore?: string[] }, string, string[], boolean]
  > = [
    ['no filter runs', {}, 'refs/heads/main', [], true],
    ['a matching file runs', { paths: ['src/**'] }, 'refs/heads/main', ['src/a.ts'], true],
    ['no matching file skips', { paths: ['src/**'] }, 'refs/heads/main', ['docs/a.md'], false],
    ['nothing changed skips', { paths: ['src/**'] }, 'refs/heads/main', [], false],
    [
      'an excluded file alone skips',
      { paths: ['src/**', '!src/**.md'] },
      'refs/heads/main',
      ['src/r.md'],
      false,
    ],
    [
      'only ignored files skip',
      { pathsIgnore: ['docs/**'] },
      'refs/heads/main',
      ['docs/a.md'],
      false,
    ],
    [
      'one file not ignored runs',
      { pathsIgnore: ['docs/**'] },
      'refs/heads/main',
      ['docs/a.md', 'x.ts'],
      true,
    ],
    ['tags are not filtered', { paths: ['src/**'] }, 'refs/tags/v1', ['docs/a.md'], true],
  ];
  it.each(cases)('%s', (_n, spec, ref, files, want) => {
    expect(pathsDecision(spec, ref, files).run).toBe(want);
  });

  it('says why it skips', () => {
    const d = pathsDecision({ paths: ['src/**'] }, 'refs/heads/main', ['docs/a.md']);
    expect(d).toEqual({ run: false, reason: 'no changed file matches paths (1 changed)' });
  });
});
