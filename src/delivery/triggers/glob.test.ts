import { describe, expect, it } from 'vitest';
import { checkGlobs, GlobError, matchList } from './glob.ts';

describe('matchList', () => {
  const cases: Array<[string, string[], string, boolean]> = [
    ['a literal branch', ['main'], 'main', true],
    ['a literal is not a prefix', ['main'], 'main2', false],
    ['* stays within a segment', ['release/*'], 'release/v1', true],
    ['* does not cross /', ['release/*'], 'release/v1/rc', false],
    ['** crosses /', ['release/**'], 'release/v1/rc', true],
    ['**/ matches zero segments', ['src/**/x.ts'], 'src/x.ts', true],
    ['**/ matches several segments', ['src/**/x.ts'], 'src/a/b/x.ts', true],
    ['leading ** matches at any depth', ['**.md'], 'docs/a/README.md', true],
    ['? is one character', ['v?'], 'v1', true],
    ['? is not two', ['v?'], 'v10', false],
    ['a class', ['v[12]'], 'v2', true],
    ['a negated class', ['v[!12]'], 'v3', true],
    ['a negated class excludes', ['v[!12]'], 'v1', false],
    ['dots are literal', ['a.b'], 'axb', false],
    ['! excludes what came before', ['src/**', '!src/gen/**'], 'src/gen/a.ts', false],
    ['! leaves the rest', ['src/**', '!src/gen/**'], 'src/app/a.ts', true],
    [
      'the last match decides',
      ['src/**', '!src/gen/**', 'src/gen/keep.ts'],
      'src/gen/keep.ts',
      true,
    ],
    ['only exclusions start from everything', ['!docs/**'], 'src/a.ts', true],
    ['only exclusions exclude', ['!docs/**'], 'docs/a.md', false],
    ['an empty list matches everything', [], 'x', true],
    ['no pattern matches', ['main'], 'dev', false],
  ];
  it.each(cases)('%s', (_name, patterns, value, want) => {
    expect(matchList(patterns, value)).toBe(want);
  });
});

describe('checkGlobs', () => {
  it('names the pattern that does not compile', () => {
    expect(() => checkGlobs(['main', 'v[12'])).toThrow(GlobError);
    expect(() => checkGlobs(['v[12'])).toThrow('glob "v[12": unclosed "["');
  });
});
