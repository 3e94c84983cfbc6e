/**
 * Maps (apiVersion, kind) to the REST resource that serves it, from the API server's discovery
 * documents. One group-version is fetched only when first needed and cached; concurrent asks
 * share one request. A kind not found triggers one re-fetch (a CRD may have just appeared).
 */
import { SluiceError } from '../errors.ts';
import type { KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';
import { groupOf, versionOf } from './types.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural resource name in URLs: `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }>;
}

export class UnknownKindError extends SluiceError {
  constructor(apiVersion: string, kind: string, object?: string) {
    super(
      'UnknownKind',
      `${object ? `${object}: ` : ''}the cluster does not serve kind ${kind} in ${apiVersion}`,
      {
        hint: 'check apiVersion and kind; if it comes from a CRD, install the CRD first (or in an earlier sync wave)',
      },
    );
    this.name = 'UnknownKindError';
  }
}

export class Discovery {
  private readonly cache = new Map<
    string,
    { at: number; kinds: Promise<Map<string, ResourceInfo>> }
  >();
  private readonly client: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  private fetch(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const group = groupOf(apiVersion);
    const version = versionOf(apiVersion);
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    return this.client
      .request<APIResourceList>({ method: 'GET', path, verb: 'discovery' })
      .then((list) => {
        const kinds = new Map<string, ResourceInfo>();
        for (const r of list.resources) {
          if (r.name.includes('/')) continue; // subresources such as deployments/status
          kinds.set(r.kind, {
            group,
            version,
            kind: r.kind,
            resource: r.name,
            namespaced: r.namespaced,
            verbs: r.verbs,
          });
        }
        return kinds;
      })
      .catch((err: unknown) => {
        if (err instanceof KubeApiError && err.notFound) return new Map<string, ResourceInfo>();
        throw err;
      });
  }

  private kinds(apiVersion: string, refresh: boolean): Promise<Map<string, ResourceInfo>> {
    const hit = this.cache.get(apiVersion);
    if (hit && !refresh) return hit.kinds;
    // Re-fetch at most once a second per group-version, however many unknown kinds are asked.
    if (hit && refresh && Date.now() - hit.at < 1000) return hit.kinds;
    const entry = { at: Date.now(), kinds: this.fetch(apiVersion) };
    entry.kinds.catch(() => this.cache.delete(apiVersion));
    this.cache.set(apiVersion, entry);
    return entry.kinds;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined if the cluster has none. */
  async find(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const info = (await this.kinds(apiVersion, false)).get(kind);
    if (info) return info;
    return (await this.kinds(apiVersion, true)).get(kind);
  }

  /** Like find, but throws UnknownKindError naming the object. */
  async resolve(apiVersion: string, kind: string, object?: string): Promise<ResourceInfo> {
    const info = await this.find(apiVersion, kind);
    if (!info) throw new UnknownKindError(apiVersion, kind, object);
    return info;
  }

  /** Forget everything (after CRDs were installed or removed). */
  invalidate(apiVersion?: string): void {
    if (apiVersion) this.cache.delete(apiVersion);
    else this.cache.clear();
  }
}

/** The URL path of a collection or, with a name, of one object. */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
