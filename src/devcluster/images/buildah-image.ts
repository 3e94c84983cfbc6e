/**
 * The `sluice/buildah` image, for the catalog's `buildah-build-push` Task: Debian's buildah (and
 * what it depends on) on the `debian` image, set up for daemonless builds inside a pod —
 * `vfs` storage, `chroot` isolation, the dev cluster's `localhost:5000` registry known as plain
 * HTTP. Built like Sluice's runtime image: a second debootstrap (`minbase` + `--include
 * buildah`) replaces the debian image's tree and buildah commits the difference; nothing runs
 * inside a container. Kept in the image store under its hash tag, so it is built once (~1 min)
 * and copied into a cluster's registry on demand by `pushBuildahImage`.
 *
 * Files it adds:
 * ```
 * /etc/containers/registries.conf   localhost:5000 insecure, no unqualified search
 * /etc/containers/storage.conf      driver vfs under /var/lib/containers/storage
 * ```
 *
 * @example
 * const { reference } = await pushBuildahImage({ registry: '198.19.255.2:5000', progress });
 * // '198.19.255.2:5000/sluice/buildah:bookworm-0a1b2c3d4e5f'
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration, type Progress } from '../../util/progress.ts';
import { cacheRoot } from '../paths.ts';
import { Buildah, buildahDirs, requireBuildah, type ImageConfig } from './buildah.ts';
import { debianRootfs, debianTag, hostSuite } from './debian.ts';
import { removeRootfs } from './debootstrap.ts';
import { copyImage, getManifest } from './distribution.ts';
import { hashInputs, hashTag } from './hash.ts';
import { ensureImages, imagesDir, imageStoreDir } from './index.ts';
import { storeHasTag, withBuildLock, withStoreRegistry } from './store.ts';
import { buildTreeImage } from './tree.ts';

export const BUILDAH_REPO = 'sluice/buildah';
/**
 * debootstrap resolves no virtual packages: buildah's common files need a
 * `container-network-stack`, and netavark (4 MB) is the small one (builds use no network).
 */
export const BUILDAH_PACKAGES: readonly string[] = ['buildah', 'ca-certificates', 'netavark'];
/** Bumped when this recipe changes. */
export const BUILDAH_RECIPE = '1';

export const REGISTRIES_CONF = `# Written by Sluice: the dev cluster's registry is plain HTTP; names are never guessed.
unqualified-search-registries = []

[[registry]]
location = "localhost:5000"
insecure = true
`;

export const STORAGE_CONF = `# Written by Sluice: vfs needs no kernel overlay support and no fuse inside a pod.
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
`;

export const BUILDAH_CONFIG: ImageConfig = {
  cmd: ['buildah', '--help'],
  env: {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    BUILDAH_ISOLATION: 'chroot',
    STORAGE_DRIVER: 'vfs',
  },
  labels: { 'org.opencontainers.image.title': 'buildah (built by sluice dev-cluster images)' },
};

export interface PushBuildahImageOptions {
  /** Target registry, `host:port` (plain HTTP). */
  registry: string;
  progress: Progress;
  root?: string;
}

/** The image's tag: `<suite>-<hash of the recipe, the base and the packages>`. */
export function buildahTag(suite: string, debianImage: string): string {
  return hashTag(
    suite,
    hashInputs([
      ['recipe', BUILDAH_RECIPE],
      ['base', debianImage],
      ['packages', debianTag(suite, BUILDAH_PACKAGES)],
      ['registries.conf', REGISTRIES_CONF],
      ['storage.conf', STORAGE_CONF],
    ]),
  );
}

async function writeContainersConfig(root: string): Promise<void> {
  const dir = join(root, 'etc', 'containers');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'registries.conf'), REGISTRIES_CONF);
  await writeFile(join(dir, 'storage.conf'), STORAGE_CONF);
}

async function build(
  dir: string,
  store: string,
  debian: string,
  tag: string,
  progress: Progress,
): Promise<void> {
  const buildah = new Buildah(buildahDirs(dir));
  const name = `localhost/sluice-build/${BUILDAH_REPO}:${tag}`;
  const base = `${store}/${debian}`;
  const rootfs = await debianRootfs(dir, 'buildah', BUILDAH_PACKAGES, progress);
  try {
    await buildTreeImage(buildah, {
      base: `docker://${base}`,
      trees: [rootfs],
      replaceBase: true,
      populate: writeContainersConfig,
      config: BUILDAH_CONFIG,
      name,
    });
    await buildah.push(name, `${store}/${BUILDAH_REPO}:${tag}`);
    await removeRootfs(rootfs);
  } finally {
    await buildah.remove('rmi', [name, base]);
    await buildah.pruneUnnamed();
  }
}

/** Builds the image into the store if missing, then copies it to `registry` (tags: hash, latest). */
export async function pushBuildahImage(
  o: PushBuildahImageOptions,
): Promise<{ reference: string; built: boolean }> {
  const root = o.root ?? cacheRoot();
  const { images } = await ensureImages(o.progress, root);
  const tag = buildahTag(await hostSuite(), images.debian);
  const reference = `${o.registry}/${BUILDAH_REPO}:${tag}`;
  if ((await getManifest(o.registry, BUILDAH_REPO, tag)) !== undefined) {
    return { reference, built: false };
  }
  const dir = imagesDir(root);
  const storeDir = imageStoreDir(root);
  let built = false;
  await withBuildLock(dir, o.progress, () =>
    withStoreRegistry(storeDir, dir, async (store) => {
      if (!(await storeHasTag(storeDir, BUILDAH_REPO, tag))) {
        await requireBuildah();
        const started = Date.now();
        o.progress.step(`building image ${BUILDAH_REPO}:${tag}, first time ~1 min`);
        await build(dir, store, images.debian, tag, o.progress);
        o.progress.detail(
          `${BUILDAH_REPO}:${tag} built in ${formatDuration(Date.now() - started)}`,
        );
        built = true;
      }
      await copyImage(store, o.registry, BUILDAH_REPO, tag, [tag, 'latest']);
    }),
  );
  return { reference, built };
}
