import { describe, expect, it } from 'vitest';
import { cacheRoot, clusterPaths, validateClusterName } from './paths.ts';

describe('cache paths', () => {
  it('honours SLUICE_CACHE_DIR, then XDG_CACHE_HOME', () => {
    expect(cacheRoot({ SLUICE_CACHE_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(cacheRoot({ XDG_CACHE_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/sluice');
  });

  it('keeps each cluster in its own directory', () => {
    const p = clusterPaths('dev', '/c');
    expect(p.dir).toBe('/c/clusters/dev');
    expect(p.kubeconfig).toBe('/c/clusters/dev/kubeconfig');
  });

  it('accepts DNS-like names and explains what is wrong with others', () => {
    expect(validateClusterName('sluice')).toBeUndefined();
    expect(validateClusterName('e2e-123')).toBeUndefined();
    expect(validateClusterName('Bad_Name')).toMatch(/lowercase letters/);
    expect(validateClusterName('../etc')).toBeDefined();
    expect(validateClusterName('')).toBeDefined();
  });
});
