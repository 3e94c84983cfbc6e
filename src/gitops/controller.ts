/**
 * The Application controller: the GitOps engine plugged into the controller runtime.
 *
 * The runtime (src/runtime) gives it the Lease, the Application cache with its indexes (apps by
 * repository for webhooks, apps by dependency for dependsOn), the work queue and cancellation.
 * This file adds what only GitOps needs: the repository-Secret cache, Git mirrors, the watch
 * cache of managed objects (self-heal), polling, push webhooks and GitOps metrics.
 *
 * `GitOpsController` is the process-level convenience the CLI, the demo and the tests use: a
 * Manager with this one controller in it.
 */
import { PromotionController } from '../delivery/promotion/controller.ts';
import { SealedSecretsController } from '../sealed/controller.ts';
import { PolicyController, type AdmissionSettings } from '../policy/controller.ts';
import { gitPromotionWriter } from '../delivery/promotion/writer.ts';
import { join } from 'node:path';
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { checkCrds } from '../api/install.ts';
import { analysisMetrics } from '../analysis/index.ts';
import { addDora, type DoraRecorder } from '../delivery/dora/index.ts';
import { NotificationController } from '../delivery/notifications/controller.ts';
import { ImageAutomation } from '../delivery/images/index.ts';
import { Pipelines, type PipelinesOptions } from '../pipelines/controllers.ts';
import type { DeploymentStore } from '../pipelines/store/index.ts';
import { TriggerController } from '../delivery/triggers/index.ts';
import { RolloutController } from '../rollouts/controller.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import { RenderCache } from '../render/index.ts';
import { RenderPool } from '../render/pool.ts';
import { Controller, type ReconcileRequest, type ReconcileResult } from '../runtime/controller.ts';
import { ClusterRegistry } from '../runtime/clusters.ts';
import { IN_CLUSTER_NAME } from '../api/cluster.ts';
import { Manager, type LeaderElectionOptions, type Runnable } from '../runtime/manager.ts';
import { StatusPatcher } from '../runtime/patcher.ts';
import type { WorkQueue } from '../runtime/queue.ts';
import { Metrics } from '../server/metrics.ts';
import { pushMatches, type PushEvent, type WebhookSecrets } from '../server/webhook.ts';
import { GitMirrors } from '../source/index.ts';
import { signedCommitsGate, type SignedCommitsGate } from '../source/verify/gate.ts';
import { createLogger, type Logger } from '../util/log.ts';
import type { ApplicationStatus } from '../api/application.ts';
import {
  credentialsFor,
  KNOWN_HOSTS_CONFIGMAP,
  knownHostsOf,
  REPO_SECRET_SELECTOR,
} from './credentials.ts';
import { DiffCache } from './diff.ts';
import type { Reason } from './conditions.ts';
import { SignedImagesGate } from '../images/verify/gate.ts';
import type { RevisionGate } from './gates.ts';
import type { AppTarget } from './live.ts';
import { LiveCache } from './livecache.ts';
import { ProjectCache, projectIndex } from './projects/cache.ts';
import { RenderJournal } from './quarantine.ts';
import { Reconciler } from './reconcile.ts';
import { acknowledgeRefresh, refreshStamp } from './refresh.ts';
import {
  appEventFlags,
  dependencyKeys,
  mergeAppFlags,
  readinessChanged,
  repositoryKeys,
  type AppFlags,
} from './triggers.ts';

export interface ControllerOptions {
  kube: Kube;
  /** The controller's own namespace: its Lease and the repository Secrets live there. */
  namespace?: string;
  /** Watch Applications only in these namespaces (default: all). */
  appNamespaces?: string[];
  /**
   * Deploy into (and watch) only these namespaces of the local cluster (default: all), for a
   * controller whose RBAC grants no more. Other clusters are watched whole.
   */
  destinationNamespaces?: string[];
  /** Run the Rollout controller too (`sluice controller` does; tests of Applications do not). */
  rollouts?: boolean;
  /** Run the PipelineRun and TaskRun controllers too, with these settings. */
  pipelines?: Pick<
    PipelinesOptions,
    'maxConcurrentRuns' | 'helperImage' | 'keepPods' | 'store' | 'defaultPodTemplate'
  >;
  /** Record deployments for DORA metrics in this store (/metrics gauges, GET /api/dora too). */
  dora?: { store: DeploymentStore };
  /** Run the notification controller too (`sluice controller` does unless --no-notifications). */
  notifications?: boolean;
  /** Run image update automation too (ImageRepository, ImagePolicy, ImageUpdateAutomation). */
  imageAutomation?: boolean;
  /** Run the Promotion controller too (it writes to the environments' Git targets). */
  promotions?: boolean;
  /** Run the Trigger controller too: pushes and polled commits start PipelineRuns. */
  triggers?: boolean;
  /**
   * Run the SealedSecret controller too: its keys in the controller's namespace, the
   * certificate at GET /v1/cert.pem (with /v1/verify and /v1/rotate) on `listen`.
   */
  sealedSecrets?: boolean;
  /**
   * Checks every revision passes before anything of it is applied (gates.ts), in this order,
   * after the signed-commits gate every controller has (spec.source.verify); each gate may also
   * start with the controller (a watch of its keys or policies).
   */
  gates?: readonly RevisionGate[];
  /**
   * Run the policy controller too (ClusterPolicy / Policy, src/policy/controller.ts): policies
   * compiled and their status written, the GitOps gate refusing revisions that violate an
   * Enforce policy, and with `admission` the validating webhook served and registered.
   */
  policies?: boolean | { admission?: AdmissionSettings };
  /**
   * Check `spec.verifyImages` (src/images/verify), after signed commits and before the gates
   * above; default true. Apps without verifyImages are not affected either way.
   */
  signedImages?: boolean;
  concurrency?: number;
  leaderElection?: LeaderElectionOptions;
  cacheDir?: string;
  /** Fetch every repository at least this often (with ±10% jitter). Default 3 min. */
  pollIntervalMs?: number;
  /** How long one hook or wave may take before the sync fails. Default 5 min. */
  waitTimeoutMs?: number;
  log?: Logger;
  /** Serve /metrics, /healthz and /api/webhook here (port 0: any free port). */
  listen?: { host: string; port: number };
  webhookSecrets?: WebhookSecrets;
  /**
   * Renders run in this many worker threads, each with a heap of `renderHeapMb` MiB (default:
   * 2-4 workers; $SLUICE_RENDER_HEAP_MB, else 512). See render/pool.ts.
   */
  renderWorkers?: number;
  renderHeapMb?: number;
}

const appKey = (a: { metadata: { namespace?: string; name?: string } }): string =>
  `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;

/** The Application controller, as a Runnable of a Manager. */
export class ApplicationController implements Runnable {
  readonly apps: Controller<Application, AppFlags>;
  /** The clusters apps deploy to, each with its LiveCache (the local one included). */
  readonly clusters: ClusterRegistry<LiveCache>;
  readonly mirrors: GitMirrors;
  readonly reconciler: Reconciler;
  readonly metrics: Metrics;
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly secrets: Informer;
  /** The ConfigMap sluice-ssh-known-hosts of the controller's namespace: trusted ssh host keys. */
  private readonly knownHosts: Informer;
  /** AppProjects of the controller's namespace (projects/): the fence around each app. */
  readonly projects: ProjectCache;
  private readonly patcher = new StatusPatcher<ApplicationStatus, Application>();
  private readonly nextPoll = new Map<string, number>();
  private readonly pollIntervalMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Renders run here, in worker threads with a capped heap. */
  readonly renderPool: RenderPool;
  /** spec.source.verify: signed commits and tags (source/verify), before anything renders. */
  readonly signedCommits: SignedCommitsGate;
  /** Uncached renders in flight, on local disk: crash-loop quarantine (ADR 0006). */
  readonly journal: RenderJournal;

  constructor(manager: Manager, options: ControllerOptions) {
    this.kube = options.kube;
    this.log = options.log ?? createLogger('info');
    this.pollIntervalMs = options.pollIntervalMs ?? 180_000;
    const cacheDir = options.cacheDir ?? join(cacheRoot(), 'controller');
    this.mirrors = new GitMirrors({ dir: join(cacheDir, 'git') });
    this.renderPool = new RenderPool({
      ...(options.renderWorkers ? { size: options.renderWorkers } : {}),
      ...(options.renderHeapMb ? { heapMb: options.renderHeapMb } : {}),
    });
    this.signedCommits = signedCommitsGate({
      mirrors: this.mirrors,
      kube: this.kube,
      tmpDir: join(cacheDir, 'verify'),
    });
    this.journal = new RenderJournal(join(cacheDir, 'render-journal.json'), this.log);
    this.clusters = new ClusterRegistry<LiveCache>({
      kube: this.kube,
      namespace: manager.namespace,
      log: this.log,
      createCache: (kube, cluster) =>
        new LiveCache(
          kube,
          (app) => this.apps.enqueue(`${app.namespace}/${app.name}`),
          (err) => this.log.warn('watch failed; retrying', { cluster, error: errorMessage(err) }),
          cluster === IN_CLUSTER_NAME && options.destinationNamespaces
            ? { namespaces: options.destinationNamespaces }
            : {},
        ),
      onClusterChanged: (_cluster, users) => {
        for (const key of users) this.apps.enqueue(key);
      },
    });
    this.secrets = new Informer(this.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: manager.namespace,
      labelSelector: REPO_SECRET_SELECTOR,
      onError: (err) => this.log.warn('watch failed; retrying', { error: errorMessage(err) }),
    });
    this.knownHosts = new Informer(this.kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: manager.namespace,
      fieldSelector: `metadata.name=${KNOWN_HOSTS_CONFIGMAP}`,
      onError: (err) => this.log.warn('watch failed; retrying', { error: errorMessage(err) }),
    });
    this.apps = new Controller<Application, AppFlags>({
      name: 'applications',
      kube: this.kube,
      apiVersion: API_VERSION,
      kind: KIND,
      ...(options.appNamespaces ? { namespaces: options.appNamespaces } : {}),
      concurrency: options.concurrency ?? 10,
      mergeFlags: mergeAppFlags,
      filter: (_type, app, old) => appEventFlags(app, old),
      indexes: { repository: repositoryKeys, dependsOn: dependencyKeys, project: projectIndex },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: this.log,
    });
    this.apps.onEvent((type, app, old) => this.onAppEvent(type, app, old));
    this.projects = new ProjectCache(this.kube, manager.namespace, {
      onChange: (project) => {
        for (const app of this.apps.byIndex('project', project)) this.apps.enqueue(appKey(app));
      },
      onError: (err) => this.log.warn('watch failed; retrying', { error: errorMessage(err) }),
    });
    this.reconciler = new Reconciler({
      kube: this.kube,
      mirrors: this.mirrors,
      renderCache: new RenderCache(20_000),
      renderer: (req) => this.renderPool.render(req),
      journal: this.journal,
      diffCache: new DiffCache(),
      target: (app) => this.target(app),
      patcher: this.patcher,
      credentials: (url) =>
        Promise.resolve(
          credentialsFor(url, this.secrets.list(), knownHostsOf(this.knownHosts.list())),
        ),
      getApp: (ns, name) => this.apps.get(ns, name),
      projects: this.projects.gate,
      // Signed commits, then signed images (each a no-op for apps without spec.source.verify /
      // spec.verifyImages), then the others.
      gates: [
        this.signedCommits,
        ...(options.signedImages === false ? [] : [new SignedImagesGate({ kube: this.kube })]),
        ...(options.gates ?? []),
      ],
      ...(options.waitTimeoutMs ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
      onProgress: (app, message) => this.log.info(message, { app: appKey(app) }),
    });
    this.metrics = new Metrics({
      apps: () => this.apps.list(),
      kubeCounts: () => this.kube.client.counts,
      gitStats: () => this.mirrors.stats,
      queueDepth: () => this.apps.queue.depth,
      inFlight: () => this.apps.queue.inFlight,
      reconciles: () => this.apps.queue.processed,
    });
    manager.addMetrics(this.metrics.registry);
    manager.addRoutes({
      webhookSecrets: options.webhookSecrets ?? {},
      onPush: (event) => Promise.resolve(this.onPush(event)),
      onResync: () => this.resyncAll(),
    });
  }

  get queue(): WorkQueue<AppFlags> {
    return this.apps.queue;
  }

  async start(): Promise<void> {
    await checkCrds(this.kube);
    await Promise.all([
      this.apps.start(),
      this.secrets.start(),
      this.knownHosts.start(),
      this.projects.start(),
      this.clusters.start(),
    ]);
  }

  startLeading(leader: AbortSignal): void {
    this.log.info('leading: reconciling Applications', { apps: this.apps.list().length });
    this.apps.startLeading(leader);
    this.pollTimer = setInterval(() => this.poll(), 1000);
    this.pollTimer.unref();
    leader.addEventListener('abort', () => clearInterval(this.pollTimer), { once: true });
  }

  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    await this.apps.stop();
    this.secrets.stop();
    this.knownHosts.stop();
    this.projects.stop();
    await this.clusters.stop();
    await this.renderPool.close();
  }

  /** A push: refresh (fetch now) every app it touches; returns their keys. */
  onPush(event: PushEvent): string[] {
    const candidates = new Set(event.repos.flatMap((r) => this.apps.byIndex('repository', r)));
    const keys = [...candidates].filter((a) => pushMatches(a, event)).map(appKey);
    for (const key of keys) this.apps.enqueue(key, { refresh: 'always' });
    return keys;
  }

  /** Reconciles every Application once, without fetching; returns how many were queued. */
  resyncAll(): number {
    if (!this.apps.isLeading) return 0;
    const apps = this.apps.list();
    for (const a of apps) this.apps.enqueue(appKey(a));
    return apps.length;
  }

  /** Looks again at the apps whose Ready condition has this reason (a gate's input changed). */
  requeueRefused(reason: Reason): number {
    if (!this.apps.isLeading) return 0;
    const refused = this.apps
      .list()
      .filter((a) => a.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === reason));
    for (const a of refused) this.apps.enqueue(appKey(a));
    return refused.length;
  }

  /** Marks an app for a source refresh (webhook, CLI); runs at once. */
  refresh(namespace: string, name: string): void {
    this.apps.enqueue(`${namespace}/${name}`, { refresh: 'always' });
  }

  private poll(): void {
    const now = Date.now();
    const next = (): number => now + this.pollIntervalMs * (0.9 + Math.random() * 0.2);
    for (const app of this.apps.list()) {
      const key = appKey(app);
      const due = this.nextPoll.get(key);
      if (due === undefined) this.nextPoll.set(key, next());
      else if (due <= now) {
        this.nextPoll.set(key, next());
        this.apps.enqueue(key, { refresh: 'always' });
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
      this.clusters.release(key);
      this.patcher.forget(key);
      this.nextPoll.delete(key);
      return;
    }
    this.patcher.observe(app);
    if (old && readinessChanged(old, app))
      for (const dependent of this.apps.byIndex('dependsOn', key))
        this.apps.enqueue(appKey(dependent));
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

  private async reconcile(req: ReconcileRequest<AppFlags>): Promise<ReconcileResult> {
    const cached = this.apps.get(req.namespace, req.name);
    if (!cached) return {};
    const app = this.patcher.current(cached);
    const started = Date.now();
    const stopTimer = this.metrics.reconcileDuration.startTimer();
    const stamp = refreshStamp(app);
    const result = await this.reconciler
      .reconcile(app, {
        signal: req.signal,
        ...(req.flags.refresh ? { refresh: req.flags.refresh } : {}),
      })
      .finally(stopTimer);
    if (stamp !== undefined) await acknowledgeRefresh(this.kube.withSignal(req.signal), app, stamp);
    if (result.synced) {
      this.metrics.syncTotal.inc({
        name: req.name,
        namespace: req.namespace,
        phase: result.synced.phase,
      });
      this.log.info(`sync ${result.synced.phase.toLowerCase()}`, {
        app: req.key,
        message: result.synced.message,
        ms: Date.now() - started,
      });
    }
    return result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
  }
}

/** DORA's recorder, when asked for (it reads the Application and Rollout caches). */
function doraFor(
  manager: Manager,
  options: ControllerOptions,
  apps: ApplicationController,
  rollouts: RolloutController | undefined,
  log: Logger,
): DoraRecorder | undefined {
  if (!options.dora) return undefined;
  return addDora(manager, {
    store: options.dora.store,
    applications: apps.apps,
    rollouts: rollouts?.rollouts,
    commits: apps.mirrors,
    log,
  });
}

/** The notification controller, when asked for. */
function notificationsFor(
  manager: Manager,
  options: ControllerOptions,
  log: Logger,
): NotificationController | undefined {
  if (!options.notifications) return undefined;
  const n = new NotificationController({
    kube: options.kube,
    log,
    namespace: options.namespace ?? 'sluice-system',
    ...(options.appNamespaces ? { appNamespaces: options.appNamespaces } : {}),
    ...(options.destinationNamespaces ? { workloadNamespaces: options.destinationNamespaces } : {}),
  });
  manager.add(n);
  manager.addMetrics(n.metrics.registry);
  return n;
}

/** The Promotion controller, when asked for: Promotions live beside the Applications. */
function promotionsFor(
  manager: Manager,
  options: ControllerOptions,
  apps: ApplicationController,
  log: Logger,
): PromotionController | undefined {
  if (!options.promotions) return undefined;
  const writer = gitPromotionWriter({
    kube: options.kube,
    namespace: manager.namespace,
    log,
    ...(options.cacheDir ? { workDir: options.cacheDir } : {}),
  });
  const p = new PromotionController({
    kube: options.kube,
    log,
    writer,
    history: apps.mirrors,
    ...(options.appNamespaces ? { namespaces: options.appNamespaces } : {}),
    ...(options.destinationNamespaces ? { workloadNamespaces: options.destinationNamespaces } : {}),
  });
  manager.add(p);
  return p;
}

/** Image update automation, when asked for. */
function imagesFor(
  manager: Manager,
  options: ControllerOptions,
  log: Logger,
): ImageAutomation | undefined {
  if (!options.imageAutomation) return undefined;
  const images = new ImageAutomation({
    kube: options.kube,
    log,
    controllerNamespace: manager.namespace,
    ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
  });
  manager.add(images);
  return images;
}

/** The policy controller, when asked for: its gate joins the app's revision gates. */
function policiesFor(
  manager: Manager,
  options: ControllerOptions,
  log: Logger,
): PolicyController | undefined {
  if (!options.policies) return undefined;
  const admission = options.policies === true ? undefined : options.policies.admission;
  const policies = new PolicyController({
    kube: options.kube,
    log,
    namespace: manager.namespace,
    ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
    ...(admission ? { admission } : {}),
  });
  manager.add(policies);
  return policies;
}

/** The Application controller, with the policy gate when policies run. */
function applicationsWith(
  manager: Manager,
  options: ControllerOptions,
  log: Logger,
  policies: PolicyController | undefined,
): ApplicationController {
  const gates = [...(options.gates ?? []), ...(policies ? [policies.gate] : [])];
  const apps = new ApplicationController(manager, {
    ...options,
    log,
    ...(gates.length > 0 ? { gates } : {}),
  });
  // A policy changed: the apps it refused look again (without waiting for a commit).
  policies?.onChange(() => apps.requeueRefused('PolicyViolation'));
  return apps;
}

/** A Manager running the Application and Rollout controllers: what `sluice controller` starts. */
export class GitOpsController {
  readonly manager: Manager;
  readonly applications: ApplicationController;
  /** Progressive delivery: the Rollouts in the namespaces this controller deploys to. */
  readonly rollouts: RolloutController | undefined;
  /** CI: PipelineRuns and TaskRuns in the namespaces this controller deploys to. */
  readonly pipelines: Pipelines | undefined;
  /** DORA: deployment records of the Applications (and Rollouts) it watches. */
  readonly dora: DoraRecorder | undefined;
  /** Notifications: events of Applications, Rollouts and PipelineRuns to their destinations. */
  readonly notifications: NotificationController | undefined;
  /** Image update automation in the namespaces this controller deploys to. */
  readonly images: ImageAutomation | undefined;
  /** Promotions of the app namespaces: images carried between environments by Git commits. */
  readonly promotions: PromotionController | undefined;
  /** CI: Triggers (pushes and polled commits start PipelineRuns), same namespaces. */
  readonly triggers: TriggerController | undefined;
  /** SealedSecrets of the namespaces this controller deploys to, unsealed into Secrets. */
  readonly sealedSecrets: SealedSecretsController | undefined;
  /** ClusterPolicies and Policies: admission webhook, status, and the GitOps policy gate. */
  readonly policies: PolicyController | undefined;

  constructor(options: ControllerOptions) {
    const log = options.log ?? createLogger('info');
    this.manager = new Manager({
      kube: options.kube,
      namespace: options.namespace ?? 'sluice-system',
      log,
      ...(options.leaderElection ? { leaderElection: options.leaderElection } : {}),
      ...(options.listen ? { listen: options.listen } : {}),
    });
    this.policies = policiesFor(this.manager, options, log);
    this.applications = applicationsWith(this.manager, options, log, this.policies);
    this.manager.add(this.applications);
    if (options.rollouts) {
      this.rollouts = new RolloutController({
        kube: options.kube,
        log,
        ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
      });
      this.manager.add(this.rollouts);
      this.manager.addMetrics(this.rollouts.metrics.registry);
      const analysis = this.rollouts.analysis;
      this.manager.addMetrics(analysisMetrics(() => analysis.list()));
      const rollouts = this.rollouts;
      const apps = this.applications;
      this.manager.addRoutes({ onResync: () => apps.resyncAll() + rollouts.resyncAll() });
    }
    if (options.pipelines) {
      this.pipelines = new Pipelines({
        kube: options.kube,
        log,
        ...options.pipelines,
        ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
      });
      this.manager.add(this.pipelines);
      this.manager.addMetrics(this.pipelines.pipelineRuns.metrics.registry);
    }
    this.dora = doraFor(this.manager, options, this.applications, this.rollouts, log);
    this.notifications = notificationsFor(this.manager, options, log);
    this.images = imagesFor(this.manager, options, log);
    this.promotions = promotionsFor(this.manager, options, this.applications, log);
    if (options.triggers) this.triggers = this.addTriggers(options, log);
    if (options.sealedSecrets) {
      this.sealedSecrets = new SealedSecretsController({
        kube: options.kube,
        log,
        namespace: this.manager.namespace,
        ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
      });
      this.manager.add(this.sealedSecrets);
      this.manager.addRoutes({ handlers: [this.sealedSecrets.handler] });
    }
  }

  /** The Trigger controller; a push refreshes the apps and checks the triggers it concerns. */
  private addTriggers(options: ControllerOptions, log: Logger): TriggerController {
    const triggers = new TriggerController({
      kube: options.kube,
      log,
      namespace: this.manager.namespace,
      cacheDir: options.cacheDir ?? join(cacheRoot(), 'controller'),
      ...(options.destinationNamespaces ? { namespaces: options.destinationNamespaces } : {}),
    });
    this.manager.add(triggers);
    const apps = this.applications;
    this.manager.addRoutes({
      onPush: (event) => Promise.resolve([...apps.onPush(event), ...triggers.onPush(event)]),
    });
    return triggers;
  }

  get queue(): WorkQueue<AppFlags> {
    return this.applications.queue;
  }

  get isLeader(): boolean {
    return this.manager.isLeader;
  }

  get url(): string | undefined {
    return this.manager.url;
  }

  start(): Promise<void> {
    return this.manager.start();
  }

  stop(): Promise<void> {
    return this.manager.stop();
  }
}
