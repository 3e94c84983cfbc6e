/**
 * The registry of a running dev cluster, as its state.json records it (`registry`: an address,
 * or an object with an `address`). Images go there when no registry is named explicitly.
 */
import { readFile } from 'node:fs/promises';
import { DevClusterError } from '../errors.ts';
import { clusterPaths } from '../paths.ts';

/** The registry address a cluster's state records, if it has one (pure). */
export function registryFromState(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || !('registry' in state)) return undefined;
  const r = state.registry;
  if (typeof r === 'string' && r.length > 0) return r;
  if (typeof r === 'object' && r !== null && 'address' in r && typeof r.address === 'string') {
    return r.address;
  }
  return undefined;
}

/** The registry of cluster `name`, or undefined when it is not running or has none. */
export async function clusterRegistry(name: string): Promise<string | undefined> {
  const text = await readFile(clusterPaths(name).state, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return registryFromState(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Like clusterRegistry, but a clear error when there is no registry to push to. */
export async function requireClusterRegistry(name: string): Promise<string> {
  const address = await clusterRegistry(name);
  if (address === undefined) {
    throw new DevClusterError(
      'NotRunning',
      `dev cluster "${name}" is not running or has no registry (${clusterPaths(name).state})`,
      { hint: 'pass `--registry host:port`, or start a cluster with `npx sluice dev-cluster up`' },
    );
  }
  return address;
}
