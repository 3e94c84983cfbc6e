import { describe, expect, it } from 'vitest';
import { countCombinations, fanOut, type IncludeEntry, type MatrixParam } from './matrix.ts';

/** Combinations as `k=v,k=v` strings (params come sorted by name). */
const show = (params: MatrixParam[], include: IncludeEntry[] = []) =>
  fanOut(params, include).map((c) => c.map((p) => `${p.name}=${p.value}`).join(','));

const arch: MatrixParam = { name: 'GOARCH', value: ['amd64', 'ppc64le', 's390x'] };
const version: MatrixParam = { name: 'version', value: ['go1.17', 'go1.18'] };
const inc = (name: string, params: Record<string, string>): IncludeEntry => ({
  name,
  params: Object.entries(params).map(([n, value]) => ({ name: n, value })),
});

describe('matrix fan-out (Tekton order: the first param varies fastest)', () => {
  it('one param: one combination per value', () => {
    expect(show([{ name: 'platform', value: ['linux', 'mac', 'windows'] }])).toEqual([
      'platform=linux',
      'platform=mac',
      'platform=windows',
    ]);
  });

  it('3 × 2 params: six combinations', () => {
    expect(show([arch, version])).toEqual([
      'GOARCH=amd64,version=go1.17',
      'GOARCH=ppc64le,version=go1.17',
      'GOARCH=s390x,version=go1.17',
      'GOARCH=amd64,version=go1.18',
      'GOARCH=ppc64le,version=go1.18',
      'GOARCH=s390x,version=go1.18',
    ]);
  });

  it.each([
    [
      'an include naming only new params is added to every combination',
      [inc('common', { package: 'p/' })],
      [
        'GOARCH=amd64,package=p/,version=go1.17',
        'GOARCH=ppc64le,package=p/,version=go1.17',
        'GOARCH=s390x,package=p/,version=go1.17',
        'GOARCH=amd64,package=p/,version=go1.18',
        'GOARCH=ppc64le,package=p/,version=go1.18',
        'GOARCH=s390x,package=p/,version=go1.18',
      ],
    ],
    [
      'an include matching a param value adds its new params to those combinations only',
      [inc('s390x', { GOARCH: 's390x', flags: '-cover' })],
      [
        'GOARCH=amd64,version=go1.17',
        'GOARCH=ppc64le,version=go1.17',
        'GOARCH=s390x,flags=-cover,version=go1.17',
        'GOARCH=amd64,version=go1.18',
        'GOARCH=ppc64le,version=go1.18',
        'GOARCH=s390x,flags=-cover,version=go1.18',
      ],
    ],
    [
      'an include that matches no combination becomes a combination of its own',
      [inc('odd', { GOARCH: 'riscv' })],
      [
        'GOARCH=amd64,version=go1.17',
        'GOARCH=ppc64le,version=go1.17',
        'GOARCH=s390x,version=go1.17',
        'GOARCH=amd64,version=go1.18',
        'GOARCH=ppc64le,version=go1.18',
        'GOARCH=s390x,version=go1.18',
        'GOARCH=riscv',
      ],
    ],
    [
      'an include pairing an existing value with a new one is a combination of its own',
      [inc('s390x-go1.19', { GOARCH: 's390x', version: 'go1.19' })],
      [
        'GOARCH=amd64,version=go1.17',
        'GOARCH=ppc64le,version=go1.17',
        'GOARCH=s390x,version=go1.17',
        'GOARCH=amd64,version=go1.18',
        'GOARCH=ppc64le,version=go1.18',
        'GOARCH=s390x,version=go1.18',
        'GOARCH=s390x,version=go1.19',
      ],
    ],
  ])('%s', (_, include, want) => expect(show([arch, version], include)).toEqual(want));

  it('Tekton’s documented example: four includes give seven combinations', () => {
    const got = show(
      [arch, version],
      [
        inc('common-package', { package: 'p/' }),
        inc('s390x-no-race', { GOARCH: 's390x', flags: '-cover -v' }),
        inc('go117-context', { version: 'go1.17', context: 'c/' }),
        inc('non-existent-arch', { GOARCH: 'I-do-not-exist' }),
      ],
    );
    expect(got).toEqual([
      'GOARCH=amd64,context=c/,package=p/,version=go1.17',
      'GOARCH=ppc64le,context=c/,package=p/,version=go1.17',
      'GOARCH=s390x,context=c/,flags=-cover -v,package=p/,version=go1.17',
      'GOARCH=amd64,package=p/,version=go1.18',
      'GOARCH=ppc64le,package=p/,version=go1.18',
      'GOARCH=s390x,flags=-cover -v,package=p/,version=go1.18',
      'GOARCH=I-do-not-exist',
    ]);
    expect(countCombinations([arch, version], [inc('x', { GOARCH: 'I-do-not-exist' })])).toBe(7);
  });

  it('with include only, each entry is one combination', () => {
    const got = show(
      [],
      [inc('b1', { IMAGE: 'i1', DOCKERFILE: 'd1' }), inc('b2', { IMAGE: 'i2', DOCKERFILE: 'd2' })],
    );
    expect(got).toEqual(['DOCKERFILE=d1,IMAGE=i1', 'DOCKERFILE=d2,IMAGE=i2']);
  });

  it('an empty array gives no combinations; huge products are counted without building', () => {
    expect(show([{ name: 'a', value: [] }])).toEqual([]);
    const big = Array.from({ length: 5 }, (_, i) => ({
      name: `p${i}`,
      value: Array.from({ length: 10 }, (_, j) => String(j)),
    }));
    expect(countCombinations(big)).toBe(100_000);
  });
});
