/**
 * The `images` variable: every container image of a Pod (or pod template) split into
 * registry, path, name, tag and digest, keyed by container name, as
 * `{{ images.containers.<name>.registry }}` reads it.
 */
import { isRecord, type KubeObject } from '../kube/types.ts';

export interface ImageInfo {
  reference: string;
  registry: string;
  path: string;
  name: string;
  tag: string;
  digest: string;
}

/** Splits an image reference the way container runtimes resolve it (docker.io by default). */
export function parseImage(ref: string): ImageInfo {
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasRegistry ? first : 'docker.io';
  let path = hasRegistry ? rest.slice(slash + 1) : rest;
  if (!hasRegistry && !path.includes('/')) path = `library/${path}`;
  if (tag === '' && digest === '') tag = 'latest';
  return {
    reference: ref,
    registry,
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    tag,
    digest,
  };
}

const SECTIONS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

export function imagesContext(obj: KubeObject): Record<string, Record<string, ImageInfo>> {
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  const out: Record<string, Record<string, ImageInfo>> = {};
  for (const section of SECTIONS) {
    const list = spec[section];
    if (!Array.isArray(list)) continue;
    const byName: Record<string, ImageInfo> = {};
    for (const c of list) {
      if (isRecord(c) && typeof c['image'] === 'string')
        byName[String(c['name'])] = parseImage(c['image']);
    }
    out[section] = byName;
  }
  return out;
}
