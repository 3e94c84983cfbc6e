import { describe, expect, it } from 'vitest';
import type { ImagePolicySpec } from '../../api/image.ts';
import { expand, filterTags, jsPattern, selectTag } from './policy.ts';

const TAGS = [
  'latest',
  '1.0.0',
  '1.1.0',
  '1.2.0-rc.1',
  '2.0.0',
  'v1.1.5',
  '3f2a9c1',
  'sha-9d8e7f6',
];
const spec = (
  policy: ImagePolicySpec['policy'],
  filterTags?: ImagePolicySpec['filterTags'],
): ImagePolicySpec => ({
  imageRepositoryRef: { name: 'web' },
  policy,
  ...(filterTags ? { filterTags } : {}),
});
const tag = (
  tags: readonly string[],
  s: ImagePolicySpec,
  created?: Map<string, number>,
): string | undefined => {
  const r = selectTag({ tags, spec: s, ...(created ? { created } : {}) });
  return r.ok ? r.tag : undefined;
};

describe('selectTag', () => {
  const cases: Array<[string, readonly string[], ImagePolicySpec, string | undefined]> = [
    ['semver: the highest in range', TAGS, spec({ semver: { range: '>=1.0.0 <2.0.0' } }), 'v1.1.5'],
    ['semver: everything', TAGS, spec({ semver: { range: '*' } }), '2.0.0'],
    [
      'semver: pre-releases when asked for',
      TAGS,
      spec({ semver: { range: '>=1.2.0-0 <2' } }),
      '1.2.0-rc.1',
    ],
    ['semver: none in range', TAGS, spec({ semver: { range: '>=3' } }), undefined],
    ['alphabetical asc: the last', ['a', 'c', 'b'], spec({ alphabetical: {} }), 'c'],
    [
      'alphabetical desc: the first',
      ['a', 'c', 'b'],
      spec({ alphabetical: { order: 'desc' } }),
      'a',
    ],
    [
      'numerical asc: as numbers',
      ['9', '10', '2', 'x'],
      spec({ numerical: { order: 'asc' } }),
      '10',
    ],
    ['numerical desc', ['9', '10', '2'], spec({ numerical: { order: 'desc' } }), '2'],
    [
      'filterTags with extract: main-<sha>-<timestamp> by timestamp',
      ['main-3f2a9c1-1700000300', 'main-9d8e7f6-1700000100', 'feature-aa-1700009999', 'latest'],
      spec({ numerical: {} }, { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts' }),
      'main-3f2a9c1-1700000300',
    ],
    [
      'filterTags: release candidates by semver (Flux example)',
      ['1.0.0', '1.1.0-rc.1', '1.1.0-rc.2', '1.1.0'],
      spec({ semver: { range: '^1.x-0' } }, { pattern: '.*-rc.*' }),
      '1.1.0-rc.2',
    ],
    [
      'filterTags: RELEASE.<timestamp>Z alphabetical (Flux example)',
      ['RELEASE.2023-01-01T00-00-00Z', 'RELEASE.2024-02-01T00-00-00Z', 'latest'],
      spec(
        { alphabetical: { order: 'asc' } },
        { pattern: '^RELEASE\\.(?P<timestamp>.*)Z$', extract: '$timestamp' },
      ),
      'RELEASE.2024-02-01T00-00-00Z',
    ],
  ];
  it.each(cases)('%s', (_what, tags, s, want) => expect(tag(tags, s)).toBe(want));

  it('newestBuild: the tag built last, among those whose build time is known', () => {
    const created = new Map([
      ['3f2a9c1', Date.parse('2024-05-01T10:00:00Z')],
      ['9d8e7f6', Date.parse('2024-05-02T10:00:00Z')],
      ['aaaaaaa', Date.parse('2024-04-01T10:00:00Z')],
    ]);
    expect(
      tag(['3f2a9c1', '9d8e7f6', 'aaaaaaa', 'unknown'], spec({ newestBuild: {} }), created),
    ).toBe('9d8e7f6');
  });

  it('says why: an invalid spec is InvalidPolicy, no tag yet is NoMatchingTag', () => {
    expect(selectTag({ tags: TAGS, spec: spec({}) })).toEqual({
      ok: false,
      reason: 'InvalidPolicy',
      message: 'spec.policy names no policy: give semver, alphabetical, numerical or newestBuild',
    });
    expect(
      selectTag({ tags: TAGS, spec: spec({ semver: { range: '1' }, alphabetical: {} }) }),
    ).toMatchObject({
      reason: 'InvalidPolicy',
      message: 'spec.policy names semver and alphabetical: give exactly one',
    });
    const bad = selectTag({ tags: TAGS, spec: spec({ semver: { range: '>=a.b' } }) });
    expect(bad.ok ? '' : `${bad.reason}: ${bad.message}`).toMatch(
      /^InvalidPolicy: spec\.policy\.semver\.range: /,
    );
    expect(
      selectTag({ tags: TAGS, spec: spec({ alphabetical: {} }, { pattern: '(' }) }),
    ).toMatchObject({
      reason: 'InvalidPolicy',
    });
    expect(
      selectTag({ tags: TAGS, spec: spec({ semver: { range: '>=9' } }, { pattern: '^\\d' }) }),
    ).toEqual({
      ok: false,
      reason: 'NoMatchingTag',
      message: 'no tag of 8 (5 after filterTags) matches the semver policy',
    });
  });
});

describe('filterTags and extract (Go regexp semantics)', () => {
  it('expands $name, ${name}, $1 and $$', () => {
    const m = jsPattern('^(?P<a>x+)-(?P<b>y+)$').exec('xx-yyy')!;
    expect(expand('$b/${a}/$1/$$', m)).toBe('yyy/xx/xx/$');
  });

  it('keeps only matching tags', () => {
    expect(filterTags(['a1', 'b2', 'a3'], { pattern: '^a' })).toEqual([
      { tag: 'a1', value: 'a1' },
      { tag: 'a3', value: 'a3' },
    ]);
  });
});
