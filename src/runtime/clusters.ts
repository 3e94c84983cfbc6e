/**
 * The clusters a controller deploys to: its own (local) cluster, and the clusters registered by
 * Secrets labelled `sluice.dev/secret-type: cluster` in its namespace (src/api/cluster.ts).
 *
 * One connection and one live cache per cluster, shared by every user (an Application, keyed
 * `namespace/name`) that targets it: created by the first `acquire`, closed when the last user
 * is `release`d or moves elsewhere. What the cache is belongs to the caller (a factory); the
 * registry only creates it lazily and stops it.
 *
 * Registered clusters are probed every few seconds. A cluster that stops answering drops its
 * cache (it would go stale) and `acquire` fails with ClusterUnavailableError until it answers
 * again; a Secret that changes or goes closes the old connection. Each of these calls
 * `onClusterChanged(name, users)` so those users are reconciled again — including users whose
 * destination was unknown, which may resolve now.
 */
import { CLUSTER_SECRET_SELECTOR, IN_CLUSTER_NAME, type ClusterSpec } from '../api/cluster.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { connectCluster, probe, registeredCluster } from './connect.ts';
import {
  ClusterUnavailableError,
  DestinationError,
  resolveDestination,
  type Destination,
  type RegisteredCluster,
  type Resolution,
} from './destination.ts';

/** What a cache must offer the registry: a way to stop it. */
export interface Stoppable {
  stop(): void;
}

/** A user's view of its cluster. */
export interface ClusterConnection<C> {
  /** `in-cluster`, or the registered name. */
  name: string;
  server: string;
  local: boolean;
  kube: Kube;
  cache: C;
}

export interface ClusterRegistryOptions<C extends Stoppable> {
  /** The local cluster (the controller's own); never closed by the registry. */
  kube: Kube;
  /** Where cluster Secrets live (the controller's namespace). */
  namespace: string;
  createCache: (kube: Kube, cluster: string) => C;
  /** A cluster's connection changed (Secret, reachability): reconcile these users again. */
  onClusterChanged: (cluster: string, users: readonly string[]) => void;
  /** How to connect to a registered cluster (default: its kubeconfig / config). */
  connect?: (spec: ClusterSpec) => Promise<Kube>;
  /** Whether a registered cluster answers (default: GET /version); rejects when it does not. */
  probe?: (kube: Kube, timeoutMs: number) => Promise<void>;
  /** How often registered clusters are probed; default 5 s. */
  probeIntervalMs?: number;
  log?: Logger;
}

interface Entry<C> {
  name: string;
  server: string;
  local: boolean;
  /** The client, once connected and probed (a local entry is ready at once). */
  ready: Promise<Kube>;
  cache?: C;
  /** Set while the cluster does not answer. */
  down?: unknown;
  timer?: NodeJS.Timeout;
  probing?: boolean;
  closed?: boolean;
}

/** Whether two registrations connect the same way (a change means: reconnect). */
const sameRegistration = (a: RegisteredCluster | undefined, b: RegisteredCluster | undefined) =>
  JSON.stringify(a) === JSON.stringify(b);

export class ClusterRegistry<C extends Stoppable> {
  private readonly opts: ClusterRegistryOptions<C>;
  private readonly log: Logger;
  private readonly secrets: Informer;
  private registered: RegisteredCluster[] = [];
  private readonly entries = new Map<string, Entry<C>>();
  /** user -> the cluster it uses; cluster -> its users. */
  private readonly usage = new Map<string, string>();
  private readonly members = new Map<string, Set<string>>();
  /** Users whose destination did not resolve: told about every Secret change. */
  private readonly waiting = new Set<string>();

  constructor(options: ClusterRegistryOptions<C>) {
    this.opts = options;
    this.log = options.log ?? silentLogger;
    this.secrets = new Informer(options.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: options.namespace,
      labelSelector: CLUSTER_SECRET_SELECTOR,
      onError: (err) =>
        this.log.warn('watching cluster Secrets failed; retrying', { error: errorMessage(err) }),
    });
    this.secrets.on(() => this.updateSecrets(this.secrets.list()));
  }

  /** Resolves once the cluster Secrets are listed. */
  start(): Promise<void> {
    return this.secrets.start();
  }

  /** The registered clusters (from the Secrets), usable or not. */
  clusters(): readonly RegisteredCluster[] {
    return this.registered;
  }

  /** Resolves a destination without connecting; `owner` names the app in errors. */
  resolve(destination: Destination, owner: string): Resolution | DestinationError {
    return resolveDestination(owner, destination, this.registered, this.opts.kube.client.server);
  }

  /**
   * The connection (and cache) for `destination`, on behalf of `userKey`; a user that targeted
   * another cluster before is moved (the old one closes if nobody else uses it).
   * Throws DestinationError (unknown, conflicting or unusable cluster) or ClusterUnavailableError.
   */
  async acquire(
    userKey: string,
    destination: Destination,
    owner = userKey,
  ): Promise<ClusterConnection<C>> {
    const resolved = this.resolve(destination, owner);
    if (resolved instanceof DestinationError) {
      this.release(userKey);
      this.waiting.add(userKey);
      throw resolved;
    }
    this.waiting.delete(userKey);
    this.use(userKey, resolved.name);
    const entry = this.entries.get(resolved.name) ?? this.open(resolved);
    const kube = await entry.ready.catch((err: unknown) => {
      throw new ClusterUnavailableError(owner, entry.name, entry.server, err);
    });
    // The Secret changed while we connected: use the new connection.
    if (entry.closed) return this.acquire(userKey, destination, owner);
    if (entry.down !== undefined)
      throw new ClusterUnavailableError(owner, entry.name, entry.server, entry.down);
    entry.cache ??= this.opts.createCache(kube, entry.name);
    return { name: entry.name, server: entry.server, local: entry.local, kube, cache: entry.cache };
  }

  /** `userKey` no longer uses any cluster (its app was deleted). */
  release(userKey: string): void {
    this.waiting.delete(userKey);
    const name = this.usage.get(userKey);
    if (name === undefined) return;
    this.usage.delete(userKey);
    const users = this.members.get(name);
    users?.delete(userKey);
    if (!users?.size) {
      this.members.delete(name);
      void this.close(name);
    }
  }

  /** Users of a cluster, by name. */
  users(cluster: string): string[] {
    return [...(this.members.get(cluster) ?? [])];
  }

  /** Clusters with an open connection (or cache). */
  get connected(): string[] {
    return [...this.entries.keys()];
  }

  async stop(): Promise<void> {
    this.secrets.stop();
    const names = [...this.entries.keys()];
    await Promise.all(names.map((n) => this.close(n)));
  }

  private use(userKey: string, name: string): void {
    const previous = this.usage.get(userKey);
    if (previous === name) return;
    if (previous !== undefined) this.release(userKey);
    this.usage.set(userKey, name);
    let users = this.members.get(name);
    if (!users) this.members.set(name, (users = new Set()));
    users.add(userKey);
  }

  private open(resolved: Resolution): Entry<C> {
    if (resolved.local) {
      const local: Entry<C> = {
        name: IN_CLUSTER_NAME,
        server: this.opts.kube.client.server,
        local: true,
        ready: Promise.resolve(this.opts.kube),
      };
      this.entries.set(local.name, local);
      return local;
    }
    const spec = resolved.cluster;
    const entry: Entry<C> = {
      name: spec.name,
      server: spec.server,
      local: false,
      ready: (this.opts.connect ?? connectCluster)(spec).then(async (kube) => {
        await this.check(entry, kube, false);
        entry.timer = setInterval(() => void this.check(entry, kube, true), this.probeInterval);
        entry.timer.unref();
        return kube;
      }),
    };
    // A failed connect is reported to whoever awaits `ready`; the next acquire tries again.
    void entry.ready.catch(() => {
      if (this.entries.get(entry.name) === entry) this.entries.delete(entry.name);
    });
    this.entries.set(entry.name, entry);
    this.log.info('connecting to cluster', { cluster: spec.name, server: spec.server });
    return entry;
  }

  private get probeInterval(): number {
    return this.opts.probeIntervalMs ?? 5000;
  }

  /** Probes a registered cluster; a change of reachability is announced to its users. */
  private async check(entry: Entry<C>, kube: Kube, announce: boolean): Promise<void> {
    if (entry.probing || entry.closed) return;
    entry.probing = true;
    let failure: unknown;
    try {
      await (this.opts.probe ?? probe)(kube, Math.max(this.probeInterval, 2000));
    } catch (err) {
      failure = err;
    } finally {
      entry.probing = false;
    }
    if (entry.closed) return;
    const wasDown = entry.down !== undefined;
    if (failure === undefined) {
      delete entry.down;
      if (!wasDown) return;
      this.log.info('cluster is reachable again', { cluster: entry.name });
    } else {
      entry.down = failure;
      if (wasDown) return;
      this.log.warn('cluster is unreachable', {
        cluster: entry.name,
        error: errorMessage(failure),
      });
      // What the cache holds goes stale from now on: drop it, a fresh one lists again later.
      entry.cache?.stop();
      delete entry.cache;
    }
    if (announce) this.opts.onClusterChanged(entry.name, this.users(entry.name));
  }

  /** Stops a cluster's cache and, for a registered one, its connection. */
  private async close(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    entry.closed = true;
    if (entry.timer) clearInterval(entry.timer);
    entry.cache?.stop();
    delete entry.cache;
    if (entry.local) return;
    const kube = await entry.ready.catch(() => undefined);
    await kube?.close();
    this.log.info('closed the connection to cluster', { cluster: name });
  }

  /**
   * The cluster Secrets as they are now (the informer calls this on every change): reconnect
   * the clusters whose registration changed and tell their users, and the waiting ones.
   */
  updateSecrets(secrets: readonly KubeObject[]): void {
    const before = new Map(this.registered.map((r) => [r.name, r]));
    this.registered = secrets
      .map(registeredCluster)
      .sort((a, b) => a.secretName.localeCompare(b.secretName));
    const after = new Map(this.registered.map((r) => [r.name, r]));
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (n) => !sameRegistration(before.get(n), after.get(n)),
    );
    for (const name of changed) {
      if (name !== IN_CLUSTER_NAME) void this.close(name);
      const users = new Set([...this.users(name), ...this.waiting]);
      this.log.info('cluster registration changed', { cluster: name, users: users.size });
      if (users.size > 0) this.opts.onClusterChanged(name, [...users]);
    }
  }
}
