/**
 * The registry's bookkeeping without a cluster: connections are injected (clients to an address
 * nothing listens on, never used) and probes answer as the test says.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterSecret, type ClusterSpec } from '../api/cluster.ts';
import { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import { ClusterRegistry } from './clusters.ts';
import { ClusterUnavailableError, DestinationError } from './destination.ts';

async function client(server: string): Promise<Kube> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return Kube.connect(kc);
}

const kubeconfig = (server: string): string =>
  `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"${server}"}}],"users":[{"name":"u","user":{"token":"x"}}],"contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}],"current-context":"c"}`;

const secret = (name: string, server = `https://${name}.example.com`): KubeObject =>
  clusterSecret({ namespace: 'sluice-system', name, server, kubeconfig: kubeconfig(server) });

class FakeCache {
  stopped = false;
  readonly cluster: string;
  constructor(cluster: string) {
    this.cluster = cluster;
  }
  stop(): void {
    this.stopped = true;
  }
}

interface World {
  registry: ClusterRegistry<FakeCache>;
  connects: string[];
  closed: string[];
  changed: Array<[string, string[]]>;
  down: Set<string>;
}

const registries: Array<ClusterRegistry<FakeCache>> = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.stop();
});

async function world(secrets: KubeObject[] = []): Promise<World> {
  const w: Omit<World, 'registry'> = { connects: [], closed: [], changed: [], down: new Set() };
  const local = await client('https://127.0.0.1:6443');
  const servers = new Map<Kube, string>();
  const registry = new ClusterRegistry<FakeCache>({
    kube: local,
    namespace: 'sluice-system',
    createCache: (_kube, cluster) => new FakeCache(cluster),
    onClusterChanged: (cluster, users) => w.changed.push([cluster, [...users].sort()]),
    connect: async (spec: ClusterSpec) => {
      w.connects.push(spec.name);
      const kube = await client(spec.server);
      servers.set(kube, spec.name);
      const close = kube.close.bind(kube);
      kube.close = async () => {
        w.closed.push(spec.name);
        await close();
      };
      return kube;
    },
    probe: (kube) => {
      const name = servers.get(kube) ?? '';
      return w.down.has(name) ? Promise.reject(new Error('connection refused')) : Promise.resolve();
    },
    probeIntervalMs: 20,
  });
  registry.updateSecrets(secrets);
  registries.push(registry);
  return { ...w, registry };
}

const settle = (ms = 80): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ClusterRegistry', () => {
  it('one connection and one cache per cluster, closed when its last user goes', async () => {
    const w = await world([secret('b')]);
    const one = await w.registry.acquire('ns/one', { name: 'b' });
    const two = await w.registry.acquire('ns/two', { server: 'https://b.example.com' });
    expect(two.cache).toBe(one.cache);
    expect(two.kube).toBe(one.kube);
    expect(w.connects).toEqual(['b']);
    expect(w.registry.users('b')).toEqual(['ns/one', 'ns/two']);

    w.registry.release('ns/one');
    expect(one.cache.stopped).toBe(false);
    w.registry.release('ns/two');
    await settle(10);
    expect(one.cache.stopped).toBe(true);
    expect(w.closed).toEqual(['b']);
    expect(w.registry.connected).toEqual([]);

    // Needed again: a new connection.
    const again = await w.registry.acquire('ns/one', { name: 'b' });
    expect(again.cache).not.toBe(one.cache);
    expect(w.connects).toEqual(['b', 'b']);
  });

  it('the local cluster shares the controller client, which is never closed', async () => {
    const w = await world();
    const a = await w.registry.acquire('ns/a', {});
    const b = await w.registry.acquire('ns/b', { server: 'https://kubernetes.default.svc' });
    expect(a).toMatchObject({ name: 'in-cluster', local: true });
    expect(b.cache).toBe(a.cache);
    w.registry.release('ns/a');
    w.registry.release('ns/b');
    await settle(10);
    expect(a.cache.stopped).toBe(true);
    expect(w.connects).toEqual([]);
    expect(w.closed).toEqual([]);
  });

  it('an app that moves to another cluster releases the old one', async () => {
    const w = await world([secret('b'), secret('c')]);
    const onB = await w.registry.acquire('ns/app', { name: 'b' });
    const onC = await w.registry.acquire('ns/app', { name: 'c' });
    await settle(10);
    expect(onB.cache.stopped).toBe(true);
    expect(onC.cache.stopped).toBe(false);
    expect(w.closed).toEqual(['b']);
    expect(w.registry.users('c')).toEqual(['ns/app']);
  });

  it('an unknown cluster: DestinationError, and the app is told when the Secret appears', async () => {
    const w = await world();
    const err = await w.registry
      .acquire('ns/app', { name: 'b' }, 'Application ns/app')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).message).toContain('Application ns/app');
    expect(w.connects).toEqual([]);

    w.registry.updateSecrets([secret('b')]);
    expect(w.changed).toEqual([['b', ['ns/app']]]);
    expect((await w.registry.acquire('ns/app', { name: 'b' })).name).toBe('b');
  });

  it('a destination that becomes invalid releases the cluster it used', async () => {
    const w = await world([secret('b')]);
    const conn = await w.registry.acquire('ns/app', { name: 'b' });
    await expect(w.registry.acquire('ns/app', { name: 'typo' })).rejects.toThrow(DestinationError);
    await settle(10);
    expect(conn.cache.stopped).toBe(true);
    expect(w.closed).toEqual(['b']);
  });

  it('a changed Secret closes the old connection and tells the users; a deleted one too', async () => {
    const w = await world([secret('b')]);
    const first = await w.registry.acquire('ns/app', { name: 'b' });
    w.registry.updateSecrets([secret('b')]); // unchanged: nothing happens
    expect(w.changed).toEqual([]);

    w.registry.updateSecrets([secret('b', 'https://b2.example.com')]);
    await settle(10);
    expect(first.cache.stopped).toBe(true);
    expect(w.closed).toEqual(['b']);
    expect(w.changed).toEqual([['b', ['ns/app']]]);
    const second = await w.registry.acquire('ns/app', { name: 'b' });
    expect(second.server).toBe('https://b2.example.com');
    expect(w.connects).toEqual(['b', 'b']);

    w.registry.updateSecrets([]);
    await settle(10);
    expect(second.cache.stopped).toBe(true);
    expect(w.changed.at(-1)).toEqual(['b', ['ns/app']]);
    await expect(w.registry.acquire('ns/app', { name: 'b' })).rejects.toThrow(DestinationError);
  });

  it('a cluster that stops answering: its cache is dropped, acquire fails until it is back', async () => {
    const w = await world([secret('b'), secret('c')]);
    const b = await w.registry.acquire('ns/on-b', { name: 'b' });
    const c = await w.registry.acquire('ns/on-c', { name: 'c' });

    w.down.add('b');
    await settle();
    expect(b.cache.stopped).toBe(true);
    expect(c.cache.stopped).toBe(false);
    expect(w.changed).toEqual([['b', ['ns/on-b']]]);
    const err = await w.registry
      .acquire('ns/on-b', { name: 'b' }, 'Application ns/on-b')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect((err as ClusterUnavailableError).message).toContain(
      'Application ns/on-b: cluster "b" (https://b.example.com) is unreachable',
    );
    expect((await w.registry.acquire('ns/on-c', { name: 'c' })).cache).toBe(c.cache);

    w.down.delete('b');
    await settle();
    expect(w.changed).toEqual([
      ['b', ['ns/on-b']],
      ['b', ['ns/on-b']],
    ]);
    const back = await w.registry.acquire('ns/on-b', { name: 'b' });
    expect(back.cache).not.toBe(b.cache);
    expect(back.cache.stopped).toBe(false);
    // Same connection (the pool reconnects by itself).
    expect(w.connects).toEqual(['b', 'c']);
  });

  it('a cluster down when first needed: acquire fails, and its users hear when it answers', async () => {
    const w = await world([secret('b')]);
    w.down.add('b');
    await expect(w.registry.acquire('ns/app', { name: 'b' })).rejects.toThrow(
      ClusterUnavailableError,
    );
    expect(w.changed).toEqual([]);
    w.down.delete('b');
    await settle();
    expect(w.changed).toEqual([['b', ['ns/app']]]);
  });

  it('stop closes every connection and cache', async () => {
    const w = await world([secret('b')]);
    const local = await w.registry.acquire('ns/a', {});
    const b = await w.registry.acquire('ns/b', { name: 'b' });
    await w.registry.stop();
    expect(local.cache.stopped).toBe(true);
    expect(b.cache.stopped).toBe(true);
    expect(w.closed).toEqual(['b']);
  });
});
