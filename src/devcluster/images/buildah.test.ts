import { describe, expect, it } from 'vitest';
import { DevClusterError } from '../errors.ts';
import { Buildah, configArgs } from './buildah.ts';

describe('configArgs', () => {
  it('turns an image config into buildah config flags (JSON arrays for exec form)', () => {
    expect(
      configArgs({
        entrypoint: ['/sample-app'],
        cmd: ['--port', '8080'],
        user: '65534:65534',
        workingDir: '/app',
        env: { PORT: '8080', A: 'b=c' },
        ports: [8080],
        labels: { 'org.opencontainers.image.title': 'x y' },
      }),
    ).toEqual([
      '--entrypoint',
      '["/sample-app"]',
      '--cmd',
      '["--port","8080"]',
      '--user',
      '65534:65534',
      '--workingdir',
      '/app',
      '--env',
      'PORT=8080',
      '--env',
      'A=b=c',
      '--port',
      '8080/tcp',
      '--label',
      'org.opencontainers.image.title=x y',
    ]);
  });

  it('sets nothing that is not given', () => {
    expect(configArgs({})).toEqual([]);
  });
});

describe('Buildah', () => {
  it.each(['/var/lib/sluice/images/buildah/root', '/run/sluice/tmp'])(
    'refuses storage under %s, which its mount namespace hides',
    (dir) => {
      expect(
        () =>
          new Buildah({ root: dir, runroot: '/cache/rr', tmp: '/cache/tmp', state: '/cache/s' }),
      ).toThrow(DevClusterError);
    },
  );
});
