/**
 * Where the dev cluster keeps its binaries, builds and clusters.
 *
 * Everything lives under one cache root: `$SLUICE_CACHE_DIR`, or `~/.cache/sluice`.
 *
 * ```
 * <root>/build/<tool>-<version>/      wrapper Go modules and build logs
 * <root>/bin/<tool>/<version>/        built binaries (kept across clusters)
 * <root>/clusters/<name>/             one running cluster: pki, data, logs, state.json, kubeconfig
 * ```
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SLUICE_CACHE_DIR'];
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'sluice');
}

export interface ClusterPaths {
  dir: string;
  pki: string;
  data: string;
  logs: string;
  state: string;
  kubeconfig: string;
}

export function clusterPaths(name: string, root = cacheRoot()): ClusterPaths {
  const dir = join(root, 'clusters', name);
  return {
    dir,
    pki: join(dir, 'pki'),
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    state: join(dir, 'state.json'),
    kubeconfig: join(dir, 'kubeconfig'),
  };
}

/** Cluster names become directory names and certificate subjects: keep them simple. */
export function validateClusterName(name: string): string | undefined {
  return /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(name)
    ? undefined
    : `cluster name "${name}" must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit`;
}
