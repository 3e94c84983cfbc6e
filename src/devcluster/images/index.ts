/**
 * The dev cluster's base images, built on this machine with buildah, no Docker, no internet:
 * `busybox` (static busybox, FROM scratch), `debian` (debootstrap minbase), `sample-app` (the
 * demos' web server, FROM scratch) and `kubectl` (busybox plus the cluster's kubectl).
 *
 * Each image is tagged with a content hash of its inputs (`busybox:1.35.0-3f9c0a1b2c4d`) and a
 * stable tag (`busybox:latest`), and kept in the image store (`<cache>/images/store`, a registry
 * storage directory). `ensureImages` builds only what the store lacks: when nothing is missing it
 * reads a few small files and returns, well under a second. A cluster's registry is given a copy
 * of the store with `seedRegistryStore`.
 *
 * ```
 * <cache>/images/store/                       the image store (registry storage)
 * <cache>/images/buildah/{root,runroot,tmp}   buildah's own storage (vfs)
 * <cache>/images/debootstrap/debs/            downloaded .deb files, reused
 * <cache>/images/rootfs/<name>-<tag>/         debootstrapped trees (kept only when reused)
 * <cache>/images/bin/sample-app-<hash>/       the compiled sample-app
 * ```
 *
 * @example
 * const { storeDir, images } = await ensureImages(consoleProgress());
 * await seedRegistryStore(storeDir, clusterRegistryDir);
 * images['sample-app']; // 'sample-app:v1-0a1b2c3d4e5f'
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration, type Progress } from '../../util/progress.ts';
import { cacheRoot } from '../paths.ts';
import { Buildah, buildahDirs, requireBuildah } from './buildah.ts';
import { BUSYBOX_CONFIG, busyboxTag, findBusybox, writeBusyboxTree } from './busybox.ts';
import { buildDebianImage, debianTag, hostSuite } from './debian.ts';
import { SAMPLE_APP_CONFIG, sampleAppBinary, sampleAppHash, sampleAppTag } from './sample-app.ts';
import { storeHasTag, withBuildLock, withStoreRegistry } from './store.ts';
import { buildTreeImage, pushTags } from './tree.ts';
import { KUBECTL_CONFIG, kubectlTag, requireKubectl, writeKubectlTree } from './kubectl.ts';

export { seedRegistryStore, storeHasTag, tagDigest } from './store.ts';
export { sampleAppBinary } from './sample-app.ts';

export type ImageName = 'busybox' | 'debian' | 'sample-app' | 'kubectl';
export const IMAGE_NAMES: readonly ImageName[] = ['busybox', 'debian', 'sample-app', 'kubectl'];

export interface ImagesResult {
  /** The image store (a registry storage directory). */
  storeDir: string;
  /** Each image's immutable reference, `repo:<hash tag>` (no registry host). */
  images: Record<ImageName, string>;
  /** Each image's stable reference (`busybox:latest`, `debian:bookworm`, `sample-app:v1`). */
  stable: Record<ImageName, string>;
  /** The images this call built (empty when the store had them all). */
  built: ImageName[];
}

export function imagesDir(root = cacheRoot()): string {
  return join(root, 'images');
}

export function imageStoreDir(root = cacheRoot()): string {
  return join(imagesDir(root), 'store');
}

interface BuildContext {
  buildah: Buildah;
  dir: string;
  progress: Progress;
}

interface Planned {
  name: ImageName;
  repo: string;
  tag: string;
  stableTag: string;
  expected: string;
  /** Builds the image into buildah's storage as `localName`. */
  build: (ctx: BuildContext, localName: string) => Promise<void>;
}

/** Every image with its hash tag: only hashing, no building (fast). */
async function plan(): Promise<Planned[]> {
  const busybox = await findBusybox();
  const kubectl = await requireKubectl();
  const suite = await hostSuite();
  return [
    {
      name: 'busybox',
      repo: 'busybox',
      tag: await busyboxTag(busybox),
      stableTag: 'latest',
      expected: '~2 s',
      build: async (ctx, localName) => {
        const tree = join(ctx.dir, 'work', `busybox-${process.pid}`);
        await rm(tree, { recursive: true, force: true });
        try {
          await writeBusyboxTree(busybox, tree);
          const spec = { base: 'scratch', trees: [tree], config: BUSYBOX_CONFIG, name: localName };
          await buildTreeImage(ctx.buildah, spec);
        } finally {
          await rm(tree, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'debian',
      repo: 'debian',
      tag: debianTag(suite, []),
      stableTag: suite,
      expected: '~1 min',
      build: (ctx, localName) => buildDebianImage(ctx.buildah, ctx.dir, localName, ctx.progress),
    },
    {
      name: 'sample-app',
      repo: 'sample-app',
      tag: sampleAppTag(await sampleAppHash()),
      stableTag: 'v1',
      expected: '~20 s',
      build: async (ctx, localName) => {
        const binary = await sampleAppBinary(ctx.dir, ctx.progress);
        // The binary's directory holds only the binary: it becomes /sample-app.
        const spec = { base: 'scratch', trees: [join(binary, '..')], config: SAMPLE_APP_CONFIG };
        await buildTreeImage(ctx.buildah, { ...spec, name: localName });
      },
    },
    {
      name: 'kubectl',
      repo: 'kubectl',
      tag: await kubectlTag(busybox, kubectl),
      stableTag: 'latest',
      expected: '~3 s',
      build: async (ctx, localName) => {
        const tree = join(ctx.dir, 'work', `kubectl-${process.pid}`);
        await rm(tree, { recursive: true, force: true });
        try {
          await writeKubectlTree(busybox, kubectl, tree);
          const spec = { base: 'scratch', trees: [tree], config: KUBECTL_CONFIG, name: localName };
          await buildTreeImage(ctx.buildah, spec);
        } finally {
          await rm(tree, { recursive: true, force: true });
        }
      },
    },
  ];
}

async function missing(storeDir: string, planned: readonly Planned[]): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const p of planned) if (!(await storeHasTag(storeDir, p.repo, p.tag))) out.push(p);
  return out;
}

function result(storeDir: string, planned: readonly Planned[], built: ImageName[]): ImagesResult {
  const images = {} as Record<ImageName, string>;
  const stable = {} as Record<ImageName, string>;
  for (const p of planned) {
    images[p.name] = `${p.repo}:${p.tag}`;
    stable[p.name] = `${p.repo}:${p.stableTag}`;
  }
  return { storeDir, images, stable, built };
}

/** Builds the images the store lacks and pushes them into it; returns every image's reference. */
export async function ensureImages(progress: Progress, root = cacheRoot()): Promise<ImagesResult> {
  const dir = imagesDir(root);
  const storeDir = imageStoreDir(root);
  const planned = await plan();
  if ((await missing(storeDir, planned)).length === 0) return result(storeDir, planned, []);

  await requireBuildah();
  await mkdir(storeDir, { recursive: true });
  const built: ImageName[] = [];
  await withBuildLock(dir, progress, async () => {
    // Another process may have built them while we waited for the lock.
    const todo = await missing(storeDir, planned);
    if (todo.length === 0) return;
    const buildah = new Buildah(buildahDirs(dir));
    await withStoreRegistry(storeDir, dir, async (registry) => {
      for (const p of todo) {
        const started = Date.now();
        progress.step(`building image ${p.repo}:${p.tag}, first time ${p.expected}`);
        const localName = `localhost/sluice-build/${p.repo}:${p.tag}`;
        try {
          await p.build({ buildah, dir, progress }, localName);
          await pushTags(buildah, localName, registry, p.repo, [p.tag, p.stableTag]);
        } finally {
          await buildah.remove('rmi', [localName]);
          await buildah.pruneUnnamed();
        }
        built.push(p.name);
        progress.detail(`${p.repo}:${p.tag} built in ${formatDuration(Date.now() - started)}`);
      }
    });
  });
  return result(storeDir, planned, built);
}
