import { describe, expect, it } from 'vitest';
import { DevClusterError } from '../errors.ts';
import { isShippedSource, productionPackages, SLUICE_CONFIG } from './sluice.ts';

describe('productionPackages', () => {
  const lock = JSON.stringify({
    lockfileVersion: 3,
    packages: {
      '': { name: 'sluice', dependencies: { yaml: '2' } },
      'node_modules/yaml': { version: '2.9.1' },
      'node_modules/@kubernetes/client-node': { version: '2.0.1' },
      'node_modules/@kubernetes/client-node/node_modules/@types/node': { version: '24' },
      'node_modules/vitest': { version: '5', dev: true },
      'node_modules/fsevents': { version: '2', dev: true, optional: true },
      'node_modules/bufferutil': { version: '4', optional: true },
      'node_modules/peer-only': { version: '1', devOptional: true },
      'node_modules/local': { resolved: 'packages/local', link: true },
    },
  });

  it('keeps what production installs (nested ones too), drops dev, devOptional and links', () => {
    expect(productionPackages(lock)).toEqual([
      { path: 'node_modules/@kubernetes/client-node', optional: false },
      { path: 'node_modules/@kubernetes/client-node/node_modules/@types/node', optional: false },
      { path: 'node_modules/bufferutil', optional: true },
      { path: 'node_modules/yaml', optional: false },
    ]);
  });

  it('refuses a lockfile v1 (no packages map)', () => {
    expect(() => productionPackages(JSON.stringify({ lockfileVersion: 1 }))).toThrow(
      DevClusterError,
    );
  });
});

describe('isShippedSource', () => {
  it.each([
    ['cli/main.ts', true],
    ['cli/main.test.ts', false],
    ['health/testdata/deployment-degraded.yaml', false],
    ['sluice.js', true],
  ])('%s → %s', (path, want) => {
    expect(isShippedSource(path)).toBe(want);
  });
});

describe('the image config', () => {
  it('runs the controller as 65532 from /app with the tools where Sluice looks for them', () => {
    expect(SLUICE_CONFIG.entrypoint).toEqual(['/usr/local/bin/node', '/app/bin/sluice.js']);
    expect(SLUICE_CONFIG.cmd).toEqual(['controller']);
    expect(SLUICE_CONFIG.user).toBe('65532:65532');
    expect(SLUICE_CONFIG.workingDir).toBe('/app');
    expect(SLUICE_CONFIG.env?.['SLUICE_CACHE_DIR']).toBe('/var/cache/sluice');
  });
});
