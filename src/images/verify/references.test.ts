import { describe, expect, it } from 'vitest';
import { fullReference, imageLocation, matchesReference } from './references.ts';

describe('imageReferences', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['org/app:v1', 'docker.io/org/app:v1'],
    ['localhost:5000/shop/web:v1', 'localhost:5000/shop/web:v1'],
    ['ghcr.io/org/app@sha256:abc', 'ghcr.io/org/app@sha256:abc'],
    ['ghcr.io/org/app:v1@sha256:abc', 'ghcr.io/org/app:v1@sha256:abc'],
  ])('%s in full is %s', (image, full) => {
    expect(fullReference(image)).toBe(full);
  });

  it.each([
    ['localhost:5000/shop/web:v1', ['localhost:5000/shop/*'], true],
    ['localhost:5000/shop/web:v1', ['localhost:5000/*'], true],
    ['localhost:5000/shop/web:v1', ['localhost:5000/other/*'], false],
    ['nginx:1.27', ['docker.io/library/*'], true],
    ['nginx:1.27', ['nginx:*'], true],
    ['nginx:1.27', ['nginx:1.2?'], true],
    ['nginx:1.27', ['nginx:1.?'], false],
    ['ghcr.io/org/app@sha256:abc', ['ghcr.io/org/app*'], true],
    ['registry.example.com/a.b/c:v1', ['registry.example.com/a?b/*'], true],
    ['registryXexample.com/a/c:v1', ['registry.example.com/*'], false],
    ['anything', ['*'], true],
  ])('%s against %j: %s', (image, patterns, want) => {
    expect(matchesReference(image, patterns)).toBe(want);
  });

  it('splits an image into where it lives', () => {
    const loc = imageLocation('localhost:5000/shop/web:v1', false);
    expect(loc).toMatchObject({ name: 'localhost:5000/shop/web', tag: 'v1' });
    expect(loc.address).toMatchObject({ host: 'localhost:5000', path: 'shop/web', scheme: 'http' });
    expect(imageLocation('10.0.0.1:5000/web@sha256:' + 'a'.repeat(64), true).address.scheme).toBe(
      'http',
    );
    expect(imageLocation('ghcr.io/org/app:v1', false).address.scheme).toBe('https');
    expect(() => imageLocation('Bad Image', false)).toThrow(/image "Bad Image"/);
  });
});
