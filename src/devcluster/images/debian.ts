/**
 * The `debian` image: a debootstrap `minbase` of the host's suite (bookworm here), imported as
 * one layer FROM scratch. The rootfs is built under the cache and deleted once the image is in
 * the store; the downloaded packages are kept for the next build.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../../util/progress.ts';
import { DevClusterError } from '../errors.ts';
import { codename, hostMirror } from './apt-sources.ts';
import type { Buildah, ImageConfig } from './buildah.ts';
import { ensureRootfs, removeRootfs, ROOTFS_PRUNE } from './debootstrap.ts';
import { hashInputs, hashTag } from './hash.ts';
import { buildTreeImage } from './tree.ts';

/** Bumped when this recipe changes. */
export const DEBIAN_RECIPE = '1';

export const DEBIAN_CONFIG: ImageConfig = {
  cmd: ['bash'],
  env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  labels: {
    'org.opencontainers.image.title': 'debian minbase (built by sluice dev-cluster images)',
  },
};

/** The host's suite (`bookworm`), read from /etc/os-release. */
export async function hostSuite(): Promise<string> {
  const suite = codename(await readFile('/etc/os-release', 'utf8').catch(() => ''));
  if (suite === undefined) {
    throw new DevClusterError(
      'BuildFailed',
      'cannot tell which Debian suite this machine runs (no VERSION_CODENAME in /etc/os-release)',
      {
        hint: "the Debian image is bootstrapped from the host's own suite and mirror; build images on Debian",
      },
    );
  }
  return suite;
}

/** The hash tag of a minbase rootfs of `suite` plus `include` (`bookworm-<12 hex>`). */
export function debianTag(suite: string, include: readonly string[]): string {
  return hashTag(
    suite,
    hashInputs([
      ['recipe', DEBIAN_RECIPE],
      ['suite', suite],
      ['variant', 'minbase'],
      ['arch', process.arch],
      ['include', [...include].sort().join(',')],
      ['prune', ROOTFS_PRUNE.join('\n')],
    ]),
  );
}

export function rootfsDir(imagesDir: string, name: string, tag: string): string {
  return join(imagesDir, 'rootfs', `${name}-${tag}`);
}

/** Bootstraps (or reuses) the rootfs of `suite` + `include`; resolves with its directory. */
export async function debianRootfs(
  imagesDir: string,
  name: string,
  include: readonly string[],
  progress: Progress,
): Promise<string> {
  const suite = await hostSuite();
  const mirror = await hostMirror(suite);
  const dest = rootfsDir(imagesDir, name, debianTag(suite, include));
  await ensureRootfs({
    suite,
    mirror,
    include,
    dest,
    debCache: join(imagesDir, 'debootstrap', 'debs'),
    progress,
  });
  return dest;
}

/** Builds the `debian` image into buildah's storage as `localName`. */
export async function buildDebianImage(
  buildah: Buildah,
  imagesDir: string,
  localName: string,
  progress: Progress,
): Promise<void> {
  const rootfs = await debianRootfs(imagesDir, 'debian', [], progress);
  await buildTreeImage(buildah, {
    base: 'scratch',
    trees: [rootfs],
    config: DEBIAN_CONFIG,
    name: localName,
  });
  await removeRootfs(rootfs);
}
