/** What a promotion reads in image references: the repository followed and its version. */
import { describe, expect, it } from 'vitest';
import { parseImageRef, refsTo, shortVersion, versionOf } from './imageref.ts';

const D = 'sha256:' + 'ab'.repeat(32);

describe('versions', () => {
  it.each([
    ['web', 'latest'],
    ['web:1.2', '1.2'],
    ['localhost:5000/team/web:abc1234', 'abc1234'],
    [`localhost:5000/web@${D}`, D],
    [`localhost:5000/web:v1@${D}`, D],
  ])('%s is version %s', (ref, version) => {
    expect(versionOf(parseImageRef(ref))).toBe(version);
  });

  it('finds the references to one repository (skipping what does not parse) and shortens digests', () => {
    expect(refsTo('r/web', ['r/web:1', 'r/web-api:1', 'x/r/web:2', 'NOT A REF'])).toEqual([
      { name: 'r/web', tag: '1' },
    ]);
    expect(shortVersion(D)).toBe('sha256:abababababab');
    expect(shortVersion('v1.2.3')).toBe('v1.2.3');
  });
});
