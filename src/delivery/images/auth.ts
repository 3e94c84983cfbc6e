/**
 * Registry credentials (pure): read from the Secret an ImageRepository names (a
 * `kubernetes.io/dockerconfigjson` Secret as `kubectl create secret docker-registry` writes it,
 * or plain `username` and `password` keys), and the `WWW-Authenticate` challenge a registry
 * answers with (Basic, or Bearer with the realm to ask a token from).
 */

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** The parts of a `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer' | 'other';
  params: Record<string, string>;
}

const hostOf = (key: string): string =>
  key
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase();

const HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The same registry, Docker Hub's several names counted as one. */
function sameRegistry(a: string, b: string): boolean {
  return a === b || (HUB.has(a) && HUB.has(b));
}

interface DockerConfig {
  auths?: Record<string, { username?: string; password?: string; auth?: string }>;
}

/** The credentials for `host` in a docker config JSON, or undefined. */
export function dockerConfigCredentials(
  json: string,
  host: string,
): RegistryCredentials | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(json) as DockerConfig;
  } catch {
    return undefined;
  }
  const want = host.toLowerCase();
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (!sameRegistry(hostOf(key), want)) continue;
    if (entry.username !== undefined && entry.password !== undefined)
      return { username: entry.username, password: entry.password };
    if (entry.auth !== undefined) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

/** A Secret's data decoded (stringData wins, as the API server would write it). */
export function secretData(secret: {
  data?: unknown;
  stringData?: unknown;
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(out, (secret.stringData ?? {}) as Record<string, string>);
  return out;
}

/** The credentials a Secret holds for `host` (dockerconfigjson, or username + password). */
export function secretCredentials(
  data: Readonly<Record<string, string>>,
  host: string,
): RegistryCredentials | undefined {
  const json = data['.dockerconfigjson'];
  if (json !== undefined) return dockerConfigCredentials(json, host);
  // The old .dockercfg format is the `auths` map itself.
  const old = data['.dockercfg'];
  if (old !== undefined) return dockerConfigCredentials(`{"auths":${old}}`, host);
  const { username, password } = data;
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

/**
 * Parses `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a:pull"`.
 *
 * @example
 * parseChallenge('Basic realm="Registry"') // { scheme: 'basic', params: { realm: 'Registry' } }
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const name = (m[1] ?? '').toLowerCase();
  const scheme = name === 'basic' || name === 'bearer' ? name : 'other';
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
    params[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

export const basicHeader = (c: RegistryCredentials): string =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
