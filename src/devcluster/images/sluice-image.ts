/**
 * Builds Sluice's own image (see sluice.ts for what goes in) and pushes it to a registry as
 * `sluice/sluice:<version>-<hash>` and `sluice/sluice:dev`.
 *
 * Both stages are kept in the image store like the base images (`sluice/runtime:<hash>`,
 * `sluice/sluice:<hash>`), so each is built once: a change to the sources rebuilds only the
 * application layer, and pushing the same image to another cluster's registry builds nothing.
 * When the target registry already has the hash tag, only `dev` is moved.
 *
 * @example
 * const { reference } = await pushSluiceImage({ repoRoot, registry: '127.0.0.1:5000', progress });
 * // '127.0.0.1:5000/sluice/sluice:0.1.0-0a1b2c3d4e5f'
 */
import { formatDuration, type Progress } from '../../util/progress.ts';
import { cacheRoot } from '../paths.ts';
import { Buildah, buildahDirs, requireBuildah } from './buildah.ts';
import { debianRootfs, debianTag, hostSuite } from './debian.ts';
import { copyImage, getManifest, putManifest } from './distribution.ts';
import { ensureImages, imagesDir, imageStoreDir } from './index.ts';
import {
  addSluiceUser,
  appTag,
  RUNTIME_REPO,
  runtimeTag,
  SLUICE_CONFIG,
  SLUICE_PACKAGES,
  SLUICE_REPO,
  sluiceInputs,
  writeAppTree,
  writeRuntimeTree,
  type SluiceInputs,
} from './sluice.ts';
import { pruneStore, storeHasTag, withBuildLock, withStoreRegistry } from './store.ts';
import { buildTreeImage, type TreeImage } from './tree.ts';

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
  /** What had to be built (empty when the store had both stages). */
  built: Stage['name'][];
}

/** Builds of Sluice's image (and of its runtime) kept in the store. */
const KEEP_BUILDS = 3;

interface Stage {
  name: 'runtime' | 'app';
  repo: string;
  tag: string;
  /** The image's base, trees and config; `ctx.store` serves the images to build on. */
  spec: (ctx: StageContext) => Promise<Omit<TreeImage, 'name'>>;
  /** Keep the built image in buildah's storage, as the next stage's base. */
  keep: boolean;
}

interface StageContext {
  buildah: Buildah;
  /** `<cache>/images`. */
  dir: string;
  /** The store's registry, `127.0.0.1:<port>`. */
  store: string;
  progress: Progress;
}

/** The local name of a stage's image in buildah's storage. */
const localName = (repo: string, tag: string): string => `localhost/sluice-build/${repo}:${tag}`;

/**
 * Builds a stage and pushes it into the store (the caller checked it is missing). Pulled bases
 * are removed afterwards; a kept image replaces older builds of the same repository.
 */
async function buildStage(ctx: StageContext, stage: Stage): Promise<void> {
  const { buildah, store, progress } = ctx;
  const started = Date.now();
  progress.step(`building image ${stage.repo}:${stage.tag}`);
  const name = localName(stage.repo, stage.tag);
  const remove: string[] = stage.keep ? [] : [name];
  try {
    const spec = await stage.spec(ctx);
    if (spec.base.startsWith('docker://')) remove.push(spec.base.slice('docker://'.length));
    await buildTreeImage(buildah, { ...spec, name });
    await buildah.push(name, `${store}/${stage.repo}:${stage.tag}`);
    if (stage.keep) {
      const older = await buildah.images(localName(stage.repo, ''));
      remove.push(...older.filter((n) => n !== name));
    }
  } finally {
    await buildah.remove('rmi', remove);
    await buildah.pruneUnnamed();
  }
  progress.detail(`${stage.repo}:${stage.tag} built in ${formatDuration(Date.now() - started)}`);
}

function stages(inputs: SluiceInputs, debian: string, runtime: string, app: string): Stage[] {
  return [
    {
      name: 'runtime',
      repo: RUNTIME_REPO,
      tag: runtime,
      keep: true,
      spec: async (ctx) => {
        const rootfs = await debianRootfs(ctx.dir, 'sluice-base', SLUICE_PACKAGES, ctx.progress);
        return {
          base: `docker://${ctx.store}/${debian}`,
          trees: [rootfs],
          replaceBase: true,
          populate: async (root) => {
            await writeRuntimeTree(inputs, root);
            await addSluiceUser(root);
          },
          config: SLUICE_CONFIG,
        };
      },
    },
    {
      name: 'app',
      repo: SLUICE_REPO,
      tag: app,
      keep: false,
      spec: async (ctx) => {
        // The runtime kept in buildah's storage saves pulling and unpacking it again.
        const kept = localName(RUNTIME_REPO, runtime);
        const base = (await ctx.buildah.hasImage(kept))
          ? kept
          : `docker://${ctx.store}/${RUNTIME_REPO}:${runtime}`;
        const labels = {
          'org.opencontainers.image.title': 'sluice',
          'org.opencontainers.image.version': inputs.version,
        };
        return {
          base,
          trees: [],
          populate: (root) => writeAppTree(inputs, root),
          config: { labels },
        };
      },
    },
  ];
}

export async function pushSluiceImage(opts: PushSluiceImageOptions): Promise<PushedImage> {
  const root = opts.root ?? cacheRoot();
  const { images } = await ensureImages(opts.progress, root);
  const inputs = await sluiceInputs(opts.repoRoot, root);
  const runtime = await runtimeTag(inputs, [
    images.debian,
    debianTag(await hostSuite(), SLUICE_PACKAGES),
  ]);
  const tag = await appTag(inputs, runtime);
  const tags = [tag, 'dev'];
  const reference = `${opts.registry}/${SLUICE_REPO}:${tag}`;

  const existing = await getManifest(opts.registry, SLUICE_REPO, tag);
  if (existing !== undefined) {
    await putManifest(opts.registry, SLUICE_REPO, 'dev', existing);
    opts.progress.step(`${reference} is already in the registry; tagged it dev`);
    return { reference, tags, built: [] };
  }

  const dir = imagesDir(root);
  const storeDir = imageStoreDir(root);
  const built: PushedImage['built'] = [];
  await withBuildLock(dir, opts.progress, () =>
    withStoreRegistry(storeDir, dir, async (store) => {
      const ctx = { buildah: new Buildah(buildahDirs(dir)), dir, store, progress: opts.progress };
      for (const stage of stages(inputs, images.debian, runtime, tag)) {
        if (await storeHasTag(storeDir, stage.repo, stage.tag)) continue;
        await requireBuildah();
        await buildStage(ctx, stage);
        built.push(stage.name);
      }
      opts.progress.step(`pushing ${reference}`);
      await copyImage(store, opts.registry, SLUICE_REPO, tag, tags);
    }).then(async () => {
      // Registry stopped, lock still held: drop old builds from the store.
      if (built.length > 0) {
        await pruneStore(storeDir, SLUICE_REPO, KEEP_BUILDS, dir);
        await pruneStore(storeDir, RUNTIME_REPO, KEEP_BUILDS, dir);
      }
    }),
  );
  return { reference, tags, built };
}
