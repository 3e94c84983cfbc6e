/** Image references: repository, tag and digest, as manifests hold them. */
import { describe, expect, it } from 'vitest';
import { formatImageRef, parseImageRef, refsTo, shortVersion, versionOf } from './imageref.ts';

const D = 'sha256:' + 'ab'.repeat(32);

describe('parseImageRef', () => {
  it.each([
    ['web', { repository: 'web' }, 'latest'],
    ['web:1.2', { repository: 'web', tag: '1.2' }, '1.2'],
    ['localhost:5000/team/web', { repository: 'localhost:5000/team/web' }, 'latest'],
    [
      'localhost:5000/team/web:abc1234',
      { repository: 'localhost:5000/team/web', tag: 'abc1234' },
      'abc1234',
    ],
    [`localhost:5000/web@${D}`, { repository: 'localhost:5000/web', digest: D }, D],
    [`localhost:5000/web:v1@${D}`, { repository: 'localhost:5000/web', tag: 'v1', digest: D }, D],
  ])('%s', (ref, want, version) => {
    expect(parseImageRef(ref)).toEqual(want);
    expect(versionOf(parseImageRef(ref))).toBe(version);
    expect(formatImageRef(parseImageRef(ref))).toBe(ref);
  });

  it('finds the references to one repository and shortens digests', () => {
    expect(refsTo('r/web', ['r/web:1', 'r/web-api:1', 'x/r/web:2'])).toEqual([
      { repository: 'r/web', tag: '1' },
    ]);
    expect(shortVersion(D)).toBe('sha256:abababababab');
    expect(shortVersion('v1.2.3')).toBe('v1.2.3');
  });
});
