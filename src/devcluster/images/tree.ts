/**
 * Images from directory trees: a root filesystem prepared on the host becomes an image (one
 * layer on `scratch`, or one layer on top of a base image), committed in buildah's storage and
 * pushed to a registry under several tags.
 *
 * On a base image whose tree is replaced by ours wholesale (`replaceBase`), buildah computes the
 * layer as the difference: files identical to the base's (same size, mode, owner, mtime, as
 * `cp -a` keeps them) stay out of it, changed files go in, removed files become whiteouts.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, tail } from '../../util/exec.ts';
import { DevClusterError } from '../errors.ts';
import type { Buildah, ImageConfig } from './buildah.ts';

/** `cp -a src/. dest/`: owners, modes, timestamps, hard links, xattrs and devices kept. */
export async function copyTree(src: string, dest: string): Promise<void> {
  const r = await execFile('cp', ['-a', '--', `${src}/.`, `${dest}/`], { timeoutMs: 10 * 60_000 });
  if (r.code !== 0) {
    throw new DevClusterError(
      'BuildFailed',
      `copying ${src} to ${dest} failed\n${tail(r.stderr, 10)}`,
    );
  }
}

/** Removes everything inside `dir`, keeping `dir` itself. */
export async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir))
    await rm(join(dir, name), { recursive: true, force: true });
}

export interface TreeImage {
  /** `scratch` or a pullable reference (`docker://127.0.0.1:5000/debian:bookworm-...`). */
  base: string;
  /** Directory trees copied into the image's root, in order (later ones win). */
  trees: readonly string[];
  /** The first tree is a whole root filesystem: the base's files are removed first. */
  replaceBase?: boolean;
  /** Writes straight into the image's root after the copies (no staging copy of big files). */
  populate?: (root: string) => Promise<void>;
  config: ImageConfig;
  /** Local name to commit to (`localhost/sluice-build/busybox:1.35.0-abc`). */
  name: string;
}

/** Builds the image in buildah's storage; the working container is removed on every path. */
export async function buildTreeImage(buildah: Buildah, spec: TreeImage): Promise<void> {
  const container = await buildah.from(spec.base);
  let committed = false;
  try {
    const root = await buildah.mount(container);
    if (spec.replaceBase === true) await emptyDir(root);
    for (const tree of spec.trees) await copyTree(tree, root);
    await spec.populate?.(root);
    await buildah.umount(container);
    await buildah.config(container, spec.config);
    await buildah.commit(container, spec.name);
    committed = true;
  } finally {
    if (!committed) await buildah.remove('rm', [container]);
  }
}

/** Pushes a local image to `registry` as `repo:<tag>` for each tag. */
export async function pushTags(
  buildah: Buildah,
  image: string,
  registry: string,
  repo: string,
  tags: readonly string[],
): Promise<void> {
  for (const tag of tags) await buildah.push(image, `${registry}/${repo}:${tag}`);
}
