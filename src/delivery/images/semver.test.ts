import { describe, expect, it } from 'vitest';
import { compareVersions, parseRange, parseVersion, satisfies } from './semver.ts';

const ok = (version: string, range: string): boolean => {
  const v = parseVersion(version);
  if (!v) throw new Error(`not a version: ${version}`);
  return satisfies(v, parseRange(range));
};

describe('parseVersion', () => {
  it.each([
    ['1.2.3', { major: 1, minor: 2, patch: 3, pre: [] }],
    ['v1.2.3', { major: 1, minor: 2, patch: 3, pre: [] }],
    ['1.2', { major: 1, minor: 2, patch: 0, pre: [] }],
    ['7', { major: 7, minor: 0, patch: 0, pre: [] }],
    ['1.0.0-rc.1+build.5', { major: 1, minor: 0, patch: 0, pre: ['rc', '1'] }],
  ])('%s', (text, want) => expect(parseVersion(text)).toEqual(want));

  it.each(['latest', '3f2a9c1', '1.2.3.4', '1.0.0-01', 'v', '1.2.3-'])('%s is not one', (t) =>
    expect(parseVersion(t)).toBeUndefined(),
  );
});

describe('compareVersions (semver precedence)', () => {
  const order = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.10.0',
    '2.0.0',
  ];
  it('orders the semver.org example list', () => {
    const parsed = order.map((t) => parseVersion(t)!);
    const sorted = [...parsed].sort(compareVersions);
    expect(sorted).toEqual(parsed);
  });
});

describe('satisfies', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1.2.7', '>=1.2.0 <1.3.0', true],
    ['1.3.0', '>=1.2.0 <1.3.0', false],
    ['1.2.7', '>= 1.2, < 1.3', true],
    ['5.0.3', '5.0.x', true],
    ['5.1.0', '5.0.x', false],
    ['5.1.0', '5.x', true],
    ['5.1.0', '5', true],
    ['6.0.0', '5', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['1.9.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['0.2.9', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.4', '^0.0.3', false],
    ['1.4.5', '1.2 - 1.4.5', true],
    ['1.4.6', '1.2 - 1.4.5', false],
    ['1.4.9', '1.2 - 1.4', true],
    ['3.0.0', '>1.0, <3 || 5.x', false],
    ['5.2.0', '>1.0, <3 || 5.x', true],
    ['1.0.1', '>1.0.0', true],
    ['1.0.0', '>1.0.0', false],
    ['1.1.0', '>1.0', true],
    ['1.0.5', '>1.0', false],
    ['1.0.0', '<=1.0.0', true],
    ['1.0.9', '<=1.0', true],
    ['1.1.0', '<=1.0', false],
    ['1.2.4', '!=1.2.3', true],
    ['1.2.3', '!=1.2.3', false],
    ['9.9.9', '*', true],
    ['9.9.9', '>=1.0.0', true],
    // Pre-releases only when the range names one.
    ['1.0.0-rc.1', '>=1.0.0-0', true],
    ['1.0.0-rc.1', '>=0.9.0', false],
    ['1.3.0-rc.1', '^1.x-0', true],
    ['2.0.0-rc.1', '^1.x-0', false],
  ];
  it.each(cases)('%s in %s: %s', (v, r, want) => expect(ok(v, r)).toBe(want));

  it.each(['', '>=x.y', 'abc', '!=1.2', '>= 1.2 <'])('refuses the range %j', (r) =>
    expect(() => parseRange(r)).toThrow(),
  );
});
