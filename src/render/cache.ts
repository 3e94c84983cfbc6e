/**
 * Render results cached by commit, path and options: one render serves every app (and every
 * reconcile) that asks for the same thing. Concurrent requests for one key share one render; a
 * failed render is not kept, so the next request tries again; results are deep-frozen, so a
 * caller that wants to change an object must clone it (structuredClone) first.
 */
import { createHash } from 'node:crypto';
import { HELM_VERSION, KUSTOMIZE_VERSION } from '../devcluster/tools.ts';
import { explicitTool } from './detect.ts';
import { normalizeAppPath } from './locate.ts';
import type { RenderRequest, RenderResult } from './types.ts';

/**
 * JSON with object keys sorted at every level, so equal values give equal text whatever the
 * order their keys were written in. `undefined` members are left out, as JSON.stringify does.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The cache key of a render: `<sha>:<path>:<hash>`, the hash covering every option that can
 * change the output (tool options, Helm release name and namespace, kube version, API versions,
 * the pinned helm and kustomize versions, and the render's limits: a result an app with
 * raised limits got must not serve an app whose own limits refuse it). The app name and namespace only count when Helm may
 * render the app, so apps sharing a plain or Kustomize path share one render.
 *
 * @example renderCacheKey('3f2a9c1...', { root, path: 'apps/web', source, appName: 'web', namespace: 'shop' })
 */
export function renderCacheKey(commitSha: string, req: RenderRequest): string {
  const { helm, kustomize, directory, limits } = req.source;
  const tool = explicitTool(req.source);
  const maybeHelm = tool === undefined || tool === 'helm';
  const options = {
    tools: { helm: HELM_VERSION, kustomize: KUSTOMIZE_VERSION },
    helm,
    kustomize,
    directory,
    limits,
    ...(maybeHelm
      ? {
          release: helm?.releaseName || req.appName,
          namespace: req.namespace,
          kubeVersion: req.kubeVersion,
          apiVersions: req.apiVersions,
        }
      : {}),
  };
  const hash = createHash('sha256').update(stableStringify(options)).digest('hex').slice(0, 32);
  return `${commitSha}:${normalizeAppPath(req.path)}:${hash}`;
}

/** Freezes a value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** An LRU cache of render results with request coalescing. */
export class RenderCache {
  readonly maxEntries: number;
  /** `hits` counts answers without a new render (cached or shared in flight); `misses` renders. */
  readonly stats = { hits: 0, misses: 0 };
  private readonly entries = new Map<string, RenderResult>();
  private readonly inFlight = new Map<string, Promise<RenderResult>>();

  constructor(maxEntries = 500) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.maxEntries = maxEntries;
  }

  /**
   * The result for `key`: cached, or being produced by an earlier call, or produced now.
   *
   * @example const result = await cache.get(renderCacheKey(sha, req), () => render(req));
   */
  get(key: string, produce: () => Promise<RenderResult>): Promise<RenderResult> {
    const cached = this.entries.get(key);
    if (cached) {
      this.stats.hits++;
      this.entries.delete(key); // re-insert: Map order is the LRU order
      this.entries.set(key, cached);
      return Promise.resolve(cached);
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.stats.hits++;
      return pending;
    }
    this.stats.misses++;
    const run = (async () => {
      const result = deepFreeze(await produce());
      this.store(key, result);
      return result;
    })();
    this.inFlight.set(key, run);
    // Settled either way: later calls read the cache, or (after a failure) render again.
    const forget = (): void => {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    };
    run.then(forget, forget);
    return run;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every cached result (renders in flight still complete and are kept). */
  clear(): void {
    this.entries.clear();
  }

  private store(key: string, result: RenderResult): void {
    this.entries.set(key, result);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
