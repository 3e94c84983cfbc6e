/**
 * Starting a dev cluster's local registry: the base images (built once, cached) copied into the
 * cluster's own registry storage, served by Debian's docker-registry. With a real node the
 * registry lives in the node's network namespace at `<node IP>:5000`, one address for the host,
 * containerd and pods alike; without one, on 127.0.0.1 at a free port.
 */
import { join } from 'node:path';
import type { Progress } from '../util/progress.ts';
import { copyImage, getManifest } from './images/distribution.ts';
import {
  ensureImages,
  IMAGE_NAMES,
  imagesDir,
  seedRegistryStore,
  type ImagesResult,
} from './images/index.ts';
import { withStoreRegistry } from './images/store.ts';
import { freePort } from './net.ts';
import { REGISTRY_PORT } from './node/config.ts';
import type { RunningComponent } from './process.ts';
import { startRegistry, waitRegistryReady } from './registry.ts';
import type { ClusterState } from './state.ts';

/** Where the cluster's registry will listen (decided before anything starts). */
export async function registryAddress(state: ClusterState): Promise<string> {
  return state.realNode
    ? `${state.realNode.network.nodeIp}:${REGISTRY_PORT}`
    : `127.0.0.1:${await freePort()}`;
}

export async function startClusterRegistry(
  state: ClusterState,
  clusterDir: string,
  address: string,
  progress: Progress,
): Promise<RunningComponent> {
  const { storeDir } = await ensureImages(progress);
  const rootDir = join(clusterDir, 'registry');
  await seedRegistryStore(storeDir, rootDir);
  const registry = await startRegistry({
    rootDir,
    listen: state.realNode ? `0.0.0.0:${REGISTRY_PORT}` : address,
    log: join(clusterDir, 'logs', 'registry.log'),
    configPath: join(clusterDir, 'registry.yml'),
    ...(state.realNode ? { netns: state.realNode.network.netns } : {}),
  });
  return registry;
}

export async function waitClusterRegistry(
  address: string,
  registry: RunningComponent,
): Promise<void> {
  await waitRegistryReady(address, registry, 30_000);
}

/**
 * Pushes the images a running cluster's registry lacks (built after the cluster started) from
 * the image store; returns the references pushed.
 */
export async function pushMissingImages(registry: string, images: ImagesResult): Promise<string[]> {
  const todo: Array<{ repo: string; tag: string; stable: string }> = [];
  for (const name of IMAGE_NAMES) {
    const [repo = name, tag = ''] = images.images[name].split(':');
    const stable = images.stable[name].split(':')[1] ?? 'latest';
    if ((await getManifest(registry, repo, tag)) === undefined) todo.push({ repo, tag, stable });
  }
  if (todo.length === 0) return [];
  await withStoreRegistry(images.storeDir, imagesDir(), async (store) => {
    for (const t of todo) await copyImage(store, registry, t.repo, t.tag, [t.tag, t.stable]);
  });
  return todo.map((t) => `${registry}/${t.repo}:${t.tag}`);
}
