import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { deepFreeze, RenderCache, renderCacheKey, stableStringify } from './cache.ts';
import type { RenderResult } from './types.ts';
import { request } from './testutil.ts';

const SHA = '3f2a9c1e0b7d4a5f6c8e9d0a1b2c3d4e5f6a7b8c';

function result(name: string): RenderResult {
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { a: '1' },
  };
  return { tool: 'directory', objects: [obj] };
}

/** A produce() whose promise the test settles. */
function deferred() {
  let resolve: (r: RenderResult) => void = () => undefined;
  let reject: (e: Error) => void = () => undefined;
  const promise = new Promise<RenderResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('stableStringify', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(stableStringify({ a: 1, b: 2 })).toBe(stableStringify({ b: 2, a: 1 }));
  });
});

describe('renderCacheKey', () => {
  const base = request('apps/web', { helm: { valueFiles: ['values-prod.yaml'] } });
  const key = renderCacheKey(SHA, base);

  it('starts with the commit and path and does not depend on key order or path spelling', () => {
    expect(key.startsWith(`${SHA}:apps/web:`)).toBe(true);
    const reordered = request('./apps/web/', { helm: { valueFiles: ['values-prod.yaml'] } });
    expect(
      renderCacheKey(SHA, {
        ...reordered,
        source: { helm: reordered.source.helm ?? {}, repoURL: 'https://other' },
      }),
    ).toBe(key);
    expect(renderCacheKey(SHA, request('', {}))).toBe(renderCacheKey(SHA, request('.', {})));
  });

  it('changes with the commit, the path and every option that changes the output', () => {
    const variants = [
      renderCacheKey('0000000000000000000000000000000000000000', base),
      renderCacheKey(SHA, { ...base, path: 'apps/api' }),
      renderCacheKey(SHA, request('apps/web', { helm: { valueFiles: ['values-dev.yaml'] } })),
      renderCacheKey(
        SHA,
        request('apps/web', { helm: { valueFiles: ['values-prod.yaml'], values: 'a: 1' } }),
      ),
      renderCacheKey(
        SHA,
        request('apps/web', { helm: { valueFiles: ['values-prod.yaml'], skipCrds: true } }),
      ),
      renderCacheKey(
        SHA,
        request('apps/web', { helm: { valueFiles: ['values-prod.yaml'], releaseName: 'x' } }),
      ),
      renderCacheKey(
        SHA,
        request('apps/web', {
          helm: { valueFiles: ['values-prod.yaml'], parameters: [{ name: 'a', value: 'b' }] },
        }),
      ),
      renderCacheKey(
        SHA,
        request('apps/web', {
          helm: {
            valueFiles: ['values-prod.yaml'],
            parameters: [{ name: 'a', value: 'b', forceString: true }],
          },
        }),
      ),
      renderCacheKey(SHA, { ...base, appName: 'other' }),
      renderCacheKey(SHA, { ...base, namespace: 'other' }),
      renderCacheKey(SHA, { ...base, kubeVersion: '1.30.0' }),
      renderCacheKey(SHA, { ...base, apiVersions: ['monitoring.coreos.com/v1'] }),
      renderCacheKey(SHA, request('apps/web', { kustomize: { images: ['web:2'] } })),
      renderCacheKey(SHA, request('apps/web', { kustomize: { namePrefix: 'x-' } })),
      renderCacheKey(SHA, request('apps/web', { kustomize: { commonLabels: { a: 'b' } } })),
      renderCacheKey(SHA, request('apps/web', { directory: { recurse: true } })),
      renderCacheKey(SHA, request('apps/web', { directory: { include: '*.yaml' } })),
      renderCacheKey(SHA, request('apps/web', { directory: { exclude: '*.json' } })),
      renderCacheKey(SHA, request('apps/web')),
      // A result within raised limits must not serve an app whose own limits refuse it.
      renderCacheKey(SHA, request('apps/web', { limits: { maxObjects: 10 } })),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });

  it('lets apps that cannot be Helm share renders across app names and namespaces', () => {
    const a = request('apps/web', { directory: { recurse: true } });
    expect(renderCacheKey(SHA, { ...a, appName: 'x', namespace: 'y' })).toBe(
      renderCacheKey(SHA, a),
    );
    const k = request('apps/web', { kustomize: {} });
    expect(renderCacheKey(SHA, { ...k, appName: 'x', kubeVersion: '1.2.3' })).toBe(
      renderCacheKey(SHA, k),
    );
    // Without an explicit tool the path might hold a chart: the release name matters.
    const auto = request('apps/web');
    expect(renderCacheKey(SHA, { ...auto, appName: 'x' })).not.toBe(renderCacheKey(SHA, auto));
    // releaseName set: the app name no longer matters.
    const rel = request('apps/web', { helm: { releaseName: 'r' } });
    expect(renderCacheKey(SHA, { ...rel, appName: 'x' })).toBe(renderCacheKey(SHA, rel));
  });
});

describe('RenderCache', () => {
  it('renders once, then answers from the cache', async () => {
    const cache = new RenderCache();
    let calls = 0;
    const produce = () => {
      calls++;
      return Promise.resolve(result('a'));
    };
    const first = await cache.get('k', produce);
    const second = await cache.get('k', produce);
    expect(calls).toBe(1);
    expect(second).toBe(first);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('coalesces concurrent requests for one key into one render', async () => {
    const cache = new RenderCache();
    const d = deferred();
    let calls = 0;
    const produce = () => {
      calls++;
      return d.promise;
    };
    const all = Promise.all([
      cache.get('k', produce),
      cache.get('k', produce),
      cache.get('k', produce),
    ]);
    d.resolve(result('a'));
    const [a, b, c] = await all;
    expect(calls).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(cache.stats).toEqual({ hits: 2, misses: 1 });
  });

  it('does not keep a failed render: waiting callers see the error, the next call retries', async () => {
    const cache = new RenderCache();
    const d = deferred();
    const waiting = [cache.get('k', () => d.promise), cache.get('k', () => d.promise)];
    d.reject(new Error('helm failed'));
    for (const w of waiting) await expect(w).rejects.toThrow('helm failed');
    expect(cache.size).toBe(0);
    const retried = await cache.get('k', () => Promise.resolve(result('b')));
    expect(retried.objects[0]?.metadata.name).toBe('b');
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('does not keep a produce() that throws synchronously', async () => {
    const cache = new RenderCache();
    await expect(
      cache.get('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await cache.get('k', () => Promise.resolve(result('c')))).objects).toHaveLength(1);
  });

  it('deep-freezes cached results', async () => {
    const cache = new RenderCache();
    const r = await cache.get('k', () => Promise.resolve(result('a')));
    const obj = r.objects[0];
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.objects)).toBe(true);
    expect(Object.isFrozen(obj?.metadata)).toBe(true);
    expect(Object.isFrozen(obj?.['data'])).toBe(true);
    expect(() => {
      (obj?.metadata as { name?: string }).name = 'changed';
    }).toThrow(TypeError);
    const copy = structuredClone(r.objects[0]);
    if (copy) copy.metadata.name = 'mine';
    expect(copy?.metadata.name).toBe('mine');
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new RenderCache(2);
    let renders = 0;
    const produce = (name: string) => () => {
      renders++;
      return Promise.resolve(result(name));
    };
    await cache.get('a', produce('a'));
    await cache.get('b', produce('b'));
    await cache.get('a', produce('a')); // a is now the most recent
    await cache.get('c', produce('c')); // evicts b
    expect(cache.size).toBe(2);
    expect(renders).toBe(3);
    await cache.get('a', produce('a'));
    expect(renders).toBe(3);
    await cache.get('b', produce('b'));
    expect(renders).toBe(4);
  });

  it('clear() forgets results; the default size is 500; sizes must be positive', async () => {
    const cache = new RenderCache();
    expect(cache.maxEntries).toBe(500);
    await cache.get('a', () => Promise.resolve(result('a')));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(() => new RenderCache(0)).toThrow(RangeError);
  });

  it('deepFreeze leaves primitives alone', () => {
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
  });
});
