/**
 * `sluice controller`: watches Applications and reconciles each one through a de-duplicating
 * work queue with bounded concurrency and per-item backoff. Only the holder of the Lease acts;
 * on SIGTERM it stops taking work, lets reconciles in flight finish (so no status is half
 * written), hands the Lease over and exits.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { checkCrds } from '../api/install.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import { errorMessage } from '../errors.ts';
import { REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import { credentialsFor, REPO_SECRET_SELECTOR } from '../gitops/credentials.ts';
import { DiffCache } from '../gitops/diff.ts';
import type { AppTarget } from '../gitops/live.ts';
import { Reconciler } from '../gitops/reconcile.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import { RenderCache } from '../render/index.ts';
import { ClusterRegistry } from '../runtime/clusters.ts';
import { GitMirrors } from '../source/index.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { Metrics } from '../server/metrics.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { pushMatches, type PushEvent, type WebhookSecrets } from '../server/webhook.ts';
import { LeaderElector } from './leader.ts';
import { LiveCache } from './livecache.ts';
import { WorkQueue, type ItemFlags } from './queue.ts';

export interface ControllerOptions {
  kube: Kube;
  /** The controller's own namespace: its Lease and the repository Secrets live there. */
  namespace?: string;
  /** Watch Applications only in these namespaces (default: all). */
  appNamespaces?: string[];
  concurrency?: number;
  leaderElection?: {
    enabled: boolean;
    leaseName?: string;
    identity?: string;
    leaseDurationMs?: number;
    renewMs?: number;
  };
  cacheDir?: string;
  /** Fetch every repository at least this often (with ±10% jitter). Default 3 min. */
  pollIntervalMs?: number;
  waitTimeoutMs?: number;
  log?: Logger;
  /** Serve /metrics, /healthz and /api/webhook here (port 0: any free port). */
  listen?: { host: string; port: number };
  webhookSecrets?: WebhookSecrets;
}

const appKey = (a: { metadata: { namespace?: string; name?: string } }): string =>
  `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;

export class Controller {
  readonly kube: Kube;
  readonly queue: WorkQueue;
  /** The clusters apps deploy to, each with its LiveCache (the local one included). */
  readonly clusters: ClusterRegistry<LiveCache>;
  readonly diffCache = new DiffCache();
  readonly renderCache = new RenderCache(20_000);
  readonly mirrors: GitMirrors;
  readonly reconciler: Reconciler;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private readonly apps: Informer<Application>[];
  private readonly secrets: Informer;
  private readonly elector: LeaderElector | undefined;
  /** Objects we just wrote, used until the watch delivers them (never act on a stale copy). */
  private readonly written = new Map<
    string,
    { staleVersion: string | undefined; app: Application }
  >();
  private readonly nextPoll = new Map<string, number>();
  private pollTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private server: RunningServer | undefined;
  readonly metrics: Metrics;

  constructor(options: ControllerOptions) {
    this.opts = options;
    this.kube = options.kube;
    this.log = options.log ?? createLogger('info');
    const namespace = options.namespace ?? 'sluice-system';
    this.mirrors = new GitMirrors({
      dir: join(options.cacheDir ?? join(cacheRoot(), 'controller'), 'git'),
    });
    this.clusters = new ClusterRegistry<LiveCache>({
      kube: this.kube,
      namespace,
      log: this.log,
      createCache: (kube, cluster) =>
        new LiveCache(
          kube,
          (app) => this.queue.add(`${app.namespace}/${app.name}`),
          (err) => this.log.warn('watch failed; retrying', { cluster, error: errorMessage(err) }),
        ),
      onClusterChanged: (_cluster, users) => {
        if (this.leading) for (const key of users) this.queue.add(key);
      },
    });
    const onError = (err: unknown): void =>
      this.log.warn('watch failed; retrying', { error: errorMessage(err) });
    this.apps = (options.appNamespaces ?? ['']).map(
      (ns) =>
        new Informer<Application>(this.kube, {
          apiVersion: API_VERSION,
          kind: KIND,
          onError,
          ...(ns ? { namespace: ns } : {}),
        }),
    );
    this.secrets = new Informer(this.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      labelSelector: REPO_SECRET_SELECTOR,
      onError,
    });
    this.reconciler = new Reconciler({
      kube: this.kube,
      target: (app) => this.target(app),
      mirrors: this.mirrors,
      renderCache: this.renderCache,
      diffCache: this.diffCache,
      credentials: (url) => Promise.resolve(credentialsFor(url, this.secrets.list())),
      getApp: (ns, name) => this.getApp(ns, name),
      ...(options.waitTimeoutMs ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
      onProgress: (app, message) => this.log.info(message, { app: appKey(app) }),
    });
    this.queue = new WorkQueue({
      concurrency: options.concurrency ?? 10,
      handler: (key, flags) => this.handle(key, flags),
      onError: (key, err, retryInMs) =>
        this.log.error('reconcile failed', { app: key, error: errorMessage(err), retryInMs }),
    });
    this.metrics = new Metrics({
      apps: () => this.allApps(),
      kubeCounts: () => this.kube.client.counts,
      gitStats: () => this.mirrors.stats,
      queueDepth: () => this.queue.depth,
      inFlight: () => this.queue.inFlight,
      reconciles: () => this.queue.processed,
    });
    const le = options.leaderElection ?? { enabled: true };
    this.elector = le.enabled
      ? new LeaderElector(this.kube.tagged('lease'), {
          namespace,
          name: le.leaseName ?? 'sluice-controller',
          identity: le.identity ?? `${hostname()}-${process.pid}`,
          ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
          ...(le.renewMs ? { renewMs: le.renewMs } : {}),
          onStartedLeading: () => this.startLeading(),
          onStoppedLeading: () => this.stopLeading(),
          log: (m) => this.log.warn(m),
        })
      : undefined;
  }

  /** The destination seam: the cluster (client and live cache) an app's objects live in. */
  private async target(app: Application): Promise<AppTarget> {
    const c = await this.clusters.acquire(
      appKey(app),
      app.spec.destination,
      `Application ${appKey(app)}`,
    );
    return { cluster: c.name, server: c.server, kube: c.kube, live: c.cache };
  }

  getApp(namespace: string, name: string): Application | undefined {
    for (const inf of this.apps) {
      const a = inf.get(namespace, name);
      if (a) return a;
    }
    return undefined;
  }

  private allApps(): Application[] {
    return this.apps.flatMap((i) => i.list());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    await checkCrds(this.kube);
    for (const inf of this.apps) inf.on((type, app, old) => this.onAppEvent(type, app, old));
    await Promise.all([
      ...this.apps.map((i) => i.start()),
      this.secrets.start(),
      this.clusters.start(),
    ]);
    if (this.opts.listen) {
      this.server = await startServer({
        ...this.opts.listen,
        metrics: () => this.metrics.text(),
        webhookSecrets: this.opts.webhookSecrets ?? {},
        onPush: (event) => Promise.resolve(this.onPush(event)),
        onResync: () => this.resyncAll(),
        log: this.log,
      });
      this.log.info('serving /metrics and /api/webhook', { url: this.server.url });
    }
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  private startLeading(): void {
    this.leading = true;
    this.log.info('leading: reconciling Applications', { apps: this.allApps().length });
    for (const app of this.allApps()) this.queue.add(appKey(app));
    this.pollTimer = setInterval(() => this.poll(), 1000);
    this.pollTimer.unref();
  }

  private stopLeading(): void {
    // Queued keys are dropped by handle(); if the Lease comes back, startLeading re-queues all.
    this.log.error('lost the leader Lease: stopping work until it is ours again');
    this.leading = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
  }

  /** Where /metrics and /api/webhook are served, when they are. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** A push: refresh (fetch now) every app it touches; returns their keys. */
  onPush(event: PushEvent): string[] {
    const keys = this.allApps()
      .filter((a) => pushMatches(a, event))
      .map(appKey);
    for (const key of keys) this.queue.add(key, { refresh: 'always' });
    return keys;
  }

  /** Reconciles every Application once, without fetching; returns how many were queued. */
  resyncAll(): number {
    const apps = this.leading ? this.allApps() : [];
    for (const a of apps) this.queue.add(appKey(a));
    return apps.length;
  }

  /** Marks an app for a source refresh (webhook, CLI); runs at once. */
  refresh(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`, { refresh: 'always' });
  }

  private poll(): void {
    const interval = this.opts.pollIntervalMs ?? 180_000;
    const now = Date.now();
    for (const app of this.allApps()) {
      const key = appKey(app);
      const due = this.nextPoll.get(key);
      if (due === undefined) this.nextPoll.set(key, now + interval * (0.9 + Math.random() * 0.2));
      else if (due <= now) {
        this.nextPoll.set(key, now + interval * (0.9 + Math.random() * 0.2));
        this.queue.add(key, { refresh: 'always' });
      }
    }
  }

  private onAppEvent(
    type: 'added' | 'modified' | 'deleted',
    app: Application,
    old: Application | undefined,
  ): void {
    const key = appKey(app);
    if (type === 'deleted') {
      this.queue.forget(key);
      this.clusters.release(key);
      this.written.delete(key);
      this.nextPoll.delete(key);
      return;
    }
    const w = this.written.get(key);
    if (w && w.staleVersion !== app.metadata.resourceVersion) this.written.delete(key);
    if (!this.leading) return;
    const refresh = refreshFor(app, old);
    if (refresh) this.queue.add(key, { refresh });
    if (old && readinessChanged(old, app)) {
      for (const other of this.allApps()) if (dependsOn(other, app)) this.queue.add(appKey(other));
    }
  }

  private async handle(key: string, flags: ItemFlags): Promise<{ requeueAfterMs?: number }> {
    if (!this.leading) return {};
    const [ns, name] = key.split('/') as [string, string];
    let app = this.getApp(ns, name);
    if (!app) return {};
    const w = this.written.get(key);
    if (w && w.staleVersion === app.metadata.resourceVersion) app = w.app;
    const started = Date.now();
    const stopTimer = this.metrics.reconcileDuration.startTimer();
    const result = await this.reconciler
      .reconcile(app, flags.refresh ? { refresh: flags.refresh } : {})
      .finally(stopTimer);
    if (result.updated)
      this.written.set(key, { staleVersion: app.metadata.resourceVersion, app: result.updated });
    if (result.synced) {
      this.metrics.syncTotal.inc({ name, namespace: ns, phase: result.synced.phase });
      this.log.info(`sync ${result.synced.phase.toLowerCase()}`, {
        app: key,
        message: result.synced.message,
        ms: Date.now() - started,
      });
    }
    return result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
  }

  /** Graceful stop: no new work, reconciles in flight finish, the Lease is handed over. */
  async stop(): Promise<void> {
    this.leading = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.queue.stop();
    await this.elector?.release();
    await this.server?.close();
    this.server = undefined;
    for (const inf of this.apps) inf.stop();
    this.secrets.stop();
    await this.clusters.stop();
  }
}

/**
 * Whether an app event needs a reconcile, and how fresh its source must be: a person asked (a
 * sync, the refresh annotation) -> fetch now; a new or changed app -> fetch unless the repository
 * was fetched a moment ago (a thousand new apps cost ten fetches, not a thousand). Status-only
 * updates (our own writes) need nothing.
 */
export function refreshFor(
  app: Application,
  old: Application | undefined,
): 'always' | 'ifStale' | undefined {
  if (!old) return 'ifStale';
  const refreshAsked =
    old.metadata.annotations?.[REFRESH_ANNOTATION] !==
    app.metadata.annotations?.[REFRESH_ANNOTATION];
  const operationChanged = JSON.stringify(old.operation) !== JSON.stringify(app.operation);
  if (refreshAsked || (operationChanged && app.operation)) return 'always';
  const changed =
    operationChanged ||
    old.metadata.generation !== app.metadata.generation ||
    old.metadata.deletionTimestamp !== app.metadata.deletionTimestamp;
  return changed ? 'ifStale' : undefined;
}

function readinessChanged(old: Application, app: Application): boolean {
  return (
    old.status?.sync?.status !== app.status?.sync?.status ||
    old.status?.health?.status !== app.status?.health?.status
  );
}

/** Does `app` list `dependency` in its dependsOn? */
function dependsOn(app: Application, dependency: Application): boolean {
  return (app.spec.dependsOn ?? []).some(
    (d) =>
      d.name === dependency.metadata.name &&
      (d.namespace ?? app.metadata.namespace) === dependency.metadata.namespace,
  );
}
