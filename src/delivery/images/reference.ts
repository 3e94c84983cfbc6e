/**
 * Where an ImageRepository's `spec.image` lives: the registry host, the repository path, the
 * canonical name (Docker Hub's implied parts made explicit: `alpine` is
 * `index.docker.io/library/alpine`) and the URL scheme.
 */
import { validName } from '../setimage/index.ts';

export interface RepositoryAddress {
  /** The host the API is asked at, with its port: `localhost:5000`, `registry-1.docker.io`. */
  host: string;
  /** The repository path: `library/alpine`, `shop/web`. */
  path: string;
  /** `localhost:5000/shop/web`, `index.docker.io/library/alpine`. */
  canonical: string;
  /** The repository as selected images are written: the image as the user gave it, without tag. */
  image: string;
  scheme: 'http' | 'https';
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Loopback registries speak plain http (as containerd assumes); others only with `insecure`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}

function isHost(first: string): boolean {
  return first === 'localhost' || /[.:]/.test(first) || first.startsWith('[');
}

/**
 * Splits `spec.image`; undefined when it is not a repository name (or carries a tag or digest,
 * which an ImageRepository must not).
 *
 * @example
 * repositoryAddress('localhost:5000/shop/web', false)
 * // { host: 'localhost:5000', path: 'shop/web', canonical: 'localhost:5000/shop/web', image: ..., scheme: 'http' }
 */
export function repositoryAddress(image: string, insecure: boolean): RepositoryAddress | undefined {
  const text = image.trim();
  if (text === '' || text.includes('@') || /:[^/]*$/.test(text.replace(/^[^/]*\//, '')))
    return undefined;
  if (!validName(text)) return undefined;
  const parts = text.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && isHost(first);
  const host = hasHost ? first : 'docker.io';
  const rest = hasHost ? parts.slice(1) : parts;
  const hub = DOCKER_HUB.has(host);
  const path = hub && rest.length === 1 ? `library/${rest.join('/')}` : rest.join('/');
  return {
    host: hub ? 'registry-1.docker.io' : host,
    path,
    canonical: `${hub ? 'index.docker.io' : host}/${path}`,
    image: text,
    scheme: insecure || isLoopback(host) ? 'http' : 'https',
  };
}
