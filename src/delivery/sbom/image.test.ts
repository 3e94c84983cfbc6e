/** Image references as `sluice sbom --image` reads them. */
import { describe, expect, it } from 'vitest';
import { parseImageRef } from './image.ts';

describe('parseImageRef', () => {
  it.each([
    ['localhost:5000/demo/app:3f2a9c1', 'localhost:5000', 'demo/app', '3f2a9c1'],
    ['198.19.255.2:5000/app', '198.19.255.2:5000', 'app', 'latest'],
    ['registry.example/org/app@sha256:ab12', 'registry.example', 'org/app', 'sha256:ab12'],
    ['localhost/app:v1', 'localhost', 'app', 'v1'],
  ])('%s', (ref, registry, repository, reference) => {
    expect(parseImageRef(ref)).toEqual({ registry, repository, reference });
  });

  it('refuses a reference without its registry', () => {
    expect(() => parseImageRef('demo/app:v1')).toThrow(
      'image demo/app:v1 does not name its registry',
    );
  });
});
