/**
 * Image references as an environment's manifests hold them: `repo[:tag][@sha256:…]`, the
 * repository possibly with a registry host and port (`localhost:5000/team/web:1.2`). A
 * promotion follows one repository; its version in an environment is the digest when the
 * reference has one (what really runs), else the tag. Pure.
 */

export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

/** Splits a reference; the colon of a registry port is not a tag. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    ...(hasTag ? { tag: name.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** The digest, else the tag, else `latest` (what a reference without either pulls). */
export const versionOf = (r: ImageRef): string => r.digest ?? r.tag ?? 'latest';

/** A digest shortened for people: `sha256:0a1b2c3d4e5f`; a tag as it is. */
export const shortVersion = (v: string): string =>
  v.startsWith('sha256:') ? v.slice(0, 'sha256:'.length + 12) : v;

/** The references to `repository` among `images`. */
export function refsTo(repository: string, images: readonly string[]): ImageRef[] {
  return images.map(parseImageRef).filter((r) => r.repository === repository);
}

export function formatImageRef(r: ImageRef): string {
  return `${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
