/**
 * Image references as people write them: `[host[:port]/]path[:tag][@algo:hex]`, e.g.
 * `localhost:5000/shop/web:3f2a9c1@sha256:...`. A colon after the last slash starts the tag; a
 * colon before it belongs to the registry's port.
 */
import { SetImageError } from './errors.ts';

export interface ImageRef {
  /** Everything before the tag and digest: `localhost:5000/shop/web`. */
  name: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

function invalid(ref: string, why: string): SetImageError {
  return new SetImageError('InvalidImageRef', '', `image "${ref}": ${why}`, {
    hint: 'write it as registry/path/name:tag, optionally with @sha256:<64 hex digits>',
  });
}

/** True when the first path component names a registry host (has a dot or port, or is localhost). */
function isHost(first: string): boolean {
  return first === 'localhost' || /[.:]/.test(first) || first.startsWith('[');
}

/** The repository name is valid: an optional host, then lowercase path components. */
export function validName(name: string): boolean {
  const parts = name.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && isHost(first)) {
    if (!HOST.test(first)) return false;
    parts.shift();
  }
  return parts.length > 0 && parts.every((p) => COMPONENT.test(p));
}

/**
 * Splits an image reference into name, tag and digest; throws InvalidImageRef.
 *
 * @example
 * parseImageRef('localhost:5000/web:v1@sha256:ab..') // { name: 'localhost:5000/web', tag: 'v1', digest: 'sha256:ab..' }
 */
export function parseImageRef(ref: string): ImageRef {
  const text = ref.trim();
  if (text === '') throw invalid(ref, 'empty');
  const at = text.indexOf('@');
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  const rest = at >= 0 ? text.slice(0, at) : text;
  if (digest !== undefined && !DIGEST.test(digest))
    throw invalid(ref, `"${digest}" is not a digest (algorithm:hex)`);
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) throw invalid(ref, `"${tag}" is not a valid tag`);
  if (!validName(name)) throw invalid(ref, `"${name}" is not a valid repository name`);
  return {
    name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** `name[:tag][@digest]`. */
export function formatImageRef(ref: ImageRef): string {
  const tag = ref.tag !== undefined ? `:${ref.tag}` : '';
  const digest = ref.digest !== undefined ? `@${ref.digest}` : '';
  return `${ref.name}${tag}${digest}`;
}
