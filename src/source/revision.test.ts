import { describe, expect, it } from 'vitest';
import { closest, isFullSha, isRefName } from './revision.ts';

describe('revision syntax', () => {
  it.each(['main', 'release/1.2', 'v1.0.0', 'feature/JIRA-12_x', 'refs/heads/main'])(
    '%s is a ref name',
    (name) => {
      expect(isRefName(name)).toBe(true);
    },
  );

  it.each([
    '',
    '@',
    '-x',
    'a..b',
    'main~1',
    'HEAD^',
    'a b',
    'a:b',
    'x@{1}',
    '/a',
    'a/',
    'a.',
    'a.lock',
    'a/.b',
    'a//b',
    'a*',
    'a\\b',
  ])('%j is not', (name) => {
    expect(isRefName(name)).toBe(false);
  });

  it('recognises full SHAs', () => {
    expect(isFullSha('a'.repeat(40))).toBe(true);
    expect(isFullSha('A'.repeat(40))).toBe(true);
    expect(isFullSha('a'.repeat(39))).toBe(false);
    expect(isFullSha('g'.repeat(40))).toBe(false);
  });

  it('suggests the closest names first', () => {
    expect(closest('relese-1', ['main', 'release-2', 'release-1', 'dev'], 2)).toEqual([
      'release-1',
      'release-2',
    ]);
  });
});
