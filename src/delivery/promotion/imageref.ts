/**
 * What a promotion reads in image references (parsing is setimage's, the one parser): a
 * promotion follows one repository, and its version in an environment is the digest when the
 * reference has one (what really runs), else the tag. Pure.
 */
import { formatImageRef, parseImageRef, type ImageRef } from '../setimage/index.ts';

export { formatImageRef, parseImageRef, type ImageRef };

/** The digest, else the tag, else `latest` (what a reference without either pulls). */
export const versionOf = (r: ImageRef): string => r.digest ?? r.tag ?? 'latest';

/** A digest shortened for people: `sha256:0a1b2c3d4e5f`; a tag as it is. */
export const shortVersion = (v: string): string =>
  v.startsWith('sha256:') ? v.slice(0, 'sha256:'.length + 12) : v;

/** The references to `repository` among `images` (ones that do not parse are not it). */
export function refsTo(repository: string, images: readonly string[]): ImageRef[] {
  const out: ImageRef[] = [];
  for (const i of images) {
    try {
      const r = parseImageRef(i);
      if (r.name === repository) out.push(r);
    } catch {
      // not an image reference this promotion follows
    }
  }
  return out;
}
