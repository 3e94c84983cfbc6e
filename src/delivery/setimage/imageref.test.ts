import { describe, expect, it } from 'vitest';
import { formatImageRef, parseImageRef, type ImageRef } from './imageref.ts';
import { formatKeyPath, parseKeyPath } from './keypath.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef', () => {
  const cases: Array<[string, ImageRef]> = [
    ['web', { name: 'web' }],
    ['web:v1', { name: 'web', tag: 'v1' }],
    ['localhost:5000/web', { name: 'localhost:5000/web' }],
    ['localhost:5000/shop/web:3f2a9c1', { name: 'localhost:5000/shop/web', tag: '3f2a9c1' }],
    [`198.18.0.2:5000/web:1.2.3@${D}`, { name: '198.18.0.2:5000/web', tag: '1.2.3', digest: D }],
    [`web@${D}`, { name: 'web', digest: D }],
    ['ghcr.io/org/app:v1.0.0-rc.1', { name: 'ghcr.io/org/app', tag: 'v1.0.0-rc.1' }],
  ];
  it.each(cases)('%s', (text, want) => {
    expect(parseImageRef(text)).toEqual(want);
    expect(formatImageRef(want)).toBe(text);
  });

  const bad = ['', 'Web:v1', 'web:', 'web:v 1', 'web@sha256:xyz', 'bad_host:5000/web', 'a//b'];
  it.each(bad)('refuses %j, saying how to write it', (text) => {
    expect(() => parseImageRef(text)).toThrow(/image ".*"/);
  });
});

describe('parseKeyPath', () => {
  const cases: Array<[string, Array<string | number>]> = [
    ['image.tag', ['image', 'tag']],
    ['tag', ['tag']],
    ['images[0].tag', ['images', 0, 'tag']],
    ['a[1][2]', ['a', 1, 2]],
    ['podAnnotations.prometheus\\.io/scrape', ['podAnnotations', 'prometheus.io/scrape']],
  ];
  it.each(cases)('%s', (text, want) => {
    expect(parseKeyPath(text)).toEqual(want);
    expect(formatKeyPath(want)).toBe(text);
  });

  it.each(['', '.a', 'a.', 'a..b', 'a[x]', 'a[-1]', 'a[1'])('refuses %j', (text) => {
    expect(() => parseKeyPath(text)).toThrow(/key path/);
  });
});
