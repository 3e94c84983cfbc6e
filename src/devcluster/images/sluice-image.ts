/**
 * Builds Sluice's own image (see sluice.ts for what goes in) and pushes it to a registry as
 * `sluice/sluice:<version>-<hash>` and `sluice/sluice:dev`.
 *
 * When the registry already has the hash tag, nothing is built: `dev` is pointed at it through
 * the registry API. Otherwise the base comes from the image store (through a throwaway registry
 * on 127.0.0.1), buildah commits the new layer, and the result is pushed to the target.
 *
 * @example
 * const ref = await pushSluiceImage({ repoRoot: process.cwd(), registry: '127.0.0.1:5000', progress });
 * // '127.0.0.1:5000/sluice/sluice:0.1.0-0a1b2c3d4e5f'
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration, type Progress } from '../../util/progress.ts';
import { cacheRoot } from '../paths.ts';
import { Buildah, buildahDirs, requireBuildah } from './buildah.ts';
import { debianRootfs, debianTag, hostSuite } from './debian.ts';
import { getManifest, putManifest } from './distribution.ts';
import { ensureImages, imagesDir } from './index.ts';
import {
  addSluiceUser,
  SLUICE_CONFIG,
  SLUICE_PACKAGES,
  SLUICE_REPO,
  sluiceInputs,
  sluiceTag,
  writeSluiceTree,
} from './sluice.ts';
import { withBuildLock, withStoreRegistry } from './store.ts';
import { buildTreeImage, pushTags } from './tree.ts';

export interface PushSluiceImageOptions {
  repoRoot: string;
  /** Target registry, `host:port` (plain HTTP). */
  registry: string;
  progress: Progress;
  root?: string;
}

export interface PushedImage {
  /** `<registry>/sluice/sluice:<version>-<hash>`. */
  reference: string;
  tags: string[];
  /** False when the registry already had this exact image. */
  built: boolean;
}

export async function pushSluiceImage(opts: PushSluiceImageOptions): Promise<PushedImage> {
  const root = opts.root ?? cacheRoot();
  const { images } = await ensureImages(opts.progress, root);
  const inputs = await sluiceInputs(opts.repoRoot, root);
  const baseRootfsTag = debianTag(await hostSuite(), SLUICE_PACKAGES);
  const tag = await sluiceTag(inputs, [images.debian, baseRootfsTag]);
  const tags = [tag, 'dev'];
  const reference = `${opts.registry}/${SLUICE_REPO}:${tag}`;

  const existing = await getManifest(opts.registry, SLUICE_REPO, tag);
  if (existing !== undefined) {
    await putManifest(opts.registry, SLUICE_REPO, 'dev', existing);
    opts.progress.step(`${reference} is already in the registry; tagged it dev`);
    return { reference, tags, built: false };
  }

  await requireBuildah();
  const dir = imagesDir(root);
  const started = Date.now();
  opts.progress.step(`building image ${SLUICE_REPO}:${tag}`);
  await withBuildLock(dir, opts.progress, async () => {
    const base = await debianRootfs(dir, 'sluice-base', SLUICE_PACKAGES, opts.progress);
    const tree = join(dir, 'work', `sluice-${process.pid}`);
    const buildah = new Buildah(buildahDirs(dir));
    const localName = `localhost/sluice-build/sluice:${tag}`;
    await withStoreRegistry(join(dir, 'store'), dir, async (store) => {
      const from = `${store}/${images.debian}`;
      try {
        await rm(tree, { recursive: true, force: true });
        await writeSluiceTree(inputs, tree);
        await buildTreeImage(buildah, {
          base: `docker://${from}`,
          trees: [base, tree],
          replaceBase: true,
          finish: addSluiceUser,
          config: {
            ...SLUICE_CONFIG,
            labels: {
              'org.opencontainers.image.title': 'sluice',
              'org.opencontainers.image.version': inputs.version,
            },
          },
          name: localName,
        });
        opts.progress.detail(`pushing to ${opts.registry}`);
        await pushTags(buildah, localName, opts.registry, SLUICE_REPO, tags);
      } finally {
        await rm(tree, { recursive: true, force: true });
        await buildah.remove('rmi', [localName, from]);
      }
    });
  });
  opts.progress.detail(
    `${SLUICE_REPO}:${tag} built and pushed in ${formatDuration(Date.now() - started)}`,
  );
  return { reference, tags, built: true };
}
