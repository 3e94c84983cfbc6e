/**
 * The Application reconciler, in two layers (after fluxcd/kustomize-controller).
 *
 * Outer layer (`reconcile`): deletion and finalizer, dependsOn, then the inner steps; whatever
 * happens, the status is written once at the end through the runtime's StatusPatcher, and only
 * if it changed (an in-sync app costs no write), and the outcome becomes a requeue decision.
 *
 * Inner steps, one method each:
 *   1. resolve the revision   2. render   3. preflight   4. diff          (compare.ts)
 *   5. sync: start an operation (when out of sync and automated, or asked for), or perform the
 *      next steps of the running one (sync.ts + operation.ts; it resumes after a restart)
 *   6. prune (a step of the operation)
 *   7. health                 8. status, history, events                   (appstatus.ts)
 */
import type {
  Application,
  ApplicationStatus,
  HealthStatus,
  OperationState,
  ResourceStatus,
} from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { refKey } from '../kube/types.ts';
import { recordEvent } from '../runtime/events.ts';
import { StatusPatcher } from '../runtime/patcher.ts';
import {
  appendHistory,
  assessAppHealth,
  dependencyProblem,
  initiator,
  readiness,
} from './appstatus.ts';
import {
  Comparer,
  ComparisonError,
  inventoryEntry,
  type CompareDeps,
  type Comparison,
} from './compare.ts';
import { getCondition, setCondition, type Reason } from './conditions.ts';
import {
  comparedDestination,
  detectMove,
  moveMessage,
  recordMove,
  targetFailure,
} from './destination.ts';
import { finalizeApp, removeFinalizer } from './finalize.ts';
import { actingAs, clientFor } from './impersonation.ts';
import { projectCluster } from './projects/gate.ts';
import { cascades } from './annotations.ts';
import { inventorySize, withoutInventory, writeInventory } from './inventory.ts';
import { capResources, someOf } from './summary.ts';
import { appImages } from './images.ts';
import type { AppTarget } from './live.ts';
import { automatedEnabled, decideSync, retryDelay, SelfHealTracker } from './policy.ts';
import type { SyncOutcome } from './sync.ts';
import { errorMessage } from '../errors.ts';
import { isRunning, Operations, type Pass } from './operations.ts';

export interface ReconcilerDeps extends Omit<CompareDeps, 'live' | 'cluster'> {
  /** The local cluster: Applications, their status and their events are read and written here. */
  kube: Kube;
  /**
   * THE DESTINATION SEAM: the cluster an app's objects live in (its spec.destination), with its
   * live state. Everything about the app's objects goes through it: compare (dry-runs, diff),
   * sync (apply, hooks, prune), health and finalizer pruning. Throws DestinationError
   * (-> Ready=False InvalidDestination, Stalled) or ClusterUnavailableError (ClusterUnreachable).
   */
  target: (app: Application) => Promise<AppTarget>;
  /** Looks up another Application (for dependsOn). */
  getApp: (namespace: string, name: string) => Application | undefined;
  /** The one writer of Application status (the CLI, which only compares, needs none). */
  patcher?: StatusPatcher<ApplicationStatus, Application>;
  now?: () => Date;
  waitTimeoutMs?: number;
  onProgress?: (app: Application, message: string) => void;
}

export interface ReconcileOptions {
  /** Fetch the repository even if the revision resolves locally (poll, webhook, refresh). */
  refresh?: 'always' | 'ifStale';
  /** Cancels every request of this reconcile (Lease lost, app deleted). */
  signal?: AbortSignal;
}

export interface ReconcileResult {
  /** Reconcile again after this long (undefined: only on events). */
  requeueAfterMs?: number;
  /** Set when a sync operation ended in this reconcile. */
  synced?: SyncOutcome;
  statusWritten: boolean;
}

/** What the status-writing steps need (no destination: it may be unusable). */
type Base = Omit<Pass, 'target'>;

const RUNNING_REQUEUE_MS = 3000;

export class Reconciler {
  private readonly deps: ReconcilerDeps & {
    patcher: StatusPatcher<ApplicationStatus, Application>;
  };
  private readonly heals: SelfHealTracker;
  private readonly operations: Operations;

  constructor(deps: ReconcilerDeps) {
    this.deps = { ...deps, patcher: deps.patcher ?? new StatusPatcher() };
    this.heals = new SelfHealTracker(() => this.now().getTime());
    this.operations = new Operations({
      deps: this.deps,
      now: () => this.now(),
      write: (pass) => this.write(pass),
    });
  }

  private comparer(target: AppTarget): Comparer {
    return new Comparer({
      ...this.deps,
      kube: target.kube,
      live: target.live,
      cluster: projectCluster(target),
      appExists: (ns, name) => this.deps.getApp(ns, name) !== undefined,
    });
  }

  /** Steps 1-4 only (what `sluice app diff` shows), against the app's destination. */
  async compare(
    app: Application,
    options: ReconcileOptions = {},
    target?: AppTarget,
  ): Promise<Comparison> {
    const t = this.actingTarget(target ?? (await this.deps.target(app)), app);
    return this.comparer(withSignal(t, options.signal)).compare(app, options.refresh);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The target acting as the app's ServiceAccount, when it has one (impersonation.ts). */
  private actingTarget(target: AppTarget, app: Application): AppTarget {
    const resolved = this.deps.projects?.resolve(app);
    const project = resolved && 'project' in resolved ? resolved.project : undefined;
    const sa = actingAs(app, project, projectCluster(target));
    return sa ? { ...target, kube: clientFor(target.kube, sa) } : target;
  }

  /** The outer layer. `app` is the freshest copy (the patcher's); status is written at the end. */
  async reconcile(app: Application, options: ReconcileOptions = {}): Promise<ReconcileResult> {
    const kube = options.signal ? this.deps.kube.withSignal(options.signal) : this.deps.kube;
    const now = this.now().toISOString();
    const status = structuredClone(app.status ?? {});
    status.conditions ??= [];
    let located: { target: AppTarget; view: Application };
    try {
      located = await this.locate(app, status);
    } catch (err) {
      return this.targetFailed({ app, kube, status, now }, err);
    }
    const target = withSignal(this.actingTarget(located.target, app), options.signal);
    const pass: Pass = { app, kube, target, status, now };
    if (app.metadata.deletionTimestamp) {
      this.operations.forget(app);
      return this.finalize(pass, located.view);
    }
    const running = isRunning(status.operationState);
    const blocked = running ? undefined : dependencyProblem(app, this.deps.getApp);
    if (blocked) {
      this.setReady(pass, 'DependencyNotReady', blocked);
      return { requeueAfterMs: 5000, statusWritten: await this.write(pass) };
    }
    let cmp: Comparison;
    try {
      cmp = await this.compareOnce(
        this.pinned(located.view, status.operationState),
        target,
        options,
      );
    } catch (err) {
      return this.comparisonFailed(pass, err);
    }
    pass.status.conditions = (pass.status.conditions ?? []).filter((c) => c.type !== 'Stalled');
    return this.afterCompare(pass, cmp);
  }

  /**
   * The app's destination (the seam: deps.target), and the app as seen there: moved to another
   * cluster, what is on the old one is left there (see destination.ts) and the move is recorded
   * in `status`.
   */
  private async locate(
    app: Application,
    status: ApplicationStatus,
  ): Promise<{ target: AppTarget; view: Application }> {
    const target = await this.deps.target(app);
    const move = detectMove(app, target);
    if (!move) return { target, view: app };
    recordMove(status, app, target);
    void recordEvent(this.deps.kube, app, 'Warning', 'DestinationChanged', moveMessage(move));
    return { target, view: { ...app, status: withoutInventory(app.status) } };
  }

  /** The destination cannot be used: say why; a deleted app is let go or waits (see below). */
  private async targetFailed(pass: Base, err: unknown): Promise<ReconcileResult> {
    const { app, status, now } = pass;
    const e = targetFailure(err);
    const write = (): Promise<boolean> => this.write(pass);
    if (!app.metadata.deletionTimestamp || !cascades(app)) return this.comparisonFailed(pass, e);
    if (!e.terminal) {
      // Being deleted, cluster unreachable: prune once it answers again.
      status.conditions = setCondition(
        status.conditions ?? [],
        'Ready',
        'False',
        e.reason,
        e.message,
        now,
      );
      return { requeueAfterMs: 10_000, statusWritten: await write() };
    }
    // Being deleted, cluster not registered (any more): nothing can be pruned there. As Argo CD,
    // let the app go, and say what was left.
    const left = inventorySize(app.status);
    void recordEvent(
      this.deps.kube,
      app,
      'Warning',
      'InvalidDestination',
      `deleted without pruning (${left} object(s) left on the destination): ${e.message}`,
    );
    await removeFinalizer(pass.kube, app);
    return { statusWritten: false };
  }

  private async finalize(pass: Pass, view: Application): Promise<ReconcileResult> {
    const progress = this.operations.progressWriter(pass);
    const r = await finalizeApp(view, pass.kube, pass.target, {
      ...(this.deps.concurrency ? { concurrency: this.deps.concurrency } : {}),
      now: () => this.now(),
      // A cascade over thousands of objects says how far it is (log and status, every 2 s).
      onProgress: (status, message) => {
        this.deps.onProgress?.(pass.app, message);
        progress.write(status);
      },
    });
    pass.app = await progress.done();
    if (r.status) await this.write({ ...pass, status: r.status });
    return r.requeueAfterMs === undefined
      ? { statusWritten: false }
      : { requeueAfterMs: r.requeueAfterMs, statusWritten: false };
  }

  /** During an operation the revision stays the one it started with. */
  private pinned(app: Application, op: OperationState | undefined): Application {
    const revision = op?.syncResult?.revision;
    if (!isRunning(op) || !revision) return app;
    return { ...app, operation: { ...app.operation, sync: { ...app.operation?.sync, revision } } };
  }

  private async compareOnce(
    app: Application,
    target: AppTarget,
    options: ReconcileOptions,
  ): Promise<Comparison> {
    const comparer = this.comparer(target);
    return comparer.compare(app, options.refresh).catch((err: unknown) => {
      // A missing path or revision may only mean our mirror is behind: fetch once and retry.
      if (options.refresh === 'always' || !(err instanceof ComparisonError && err.terminal))
        throw err;
      return comparer.compare(app, 'always');
    });
  }

  /** Steps 5-8. */
  private async afterCompare(pass: Pass, cmp: Comparison): Promise<ReconcileResult> {
    const { app, status } = pass;
    const { outcome, paused } = await this.syncStep(pass, cmp);
    const synced = outcome
      ? outcome.phase === 'Succeeded' &&
        outcome.leftToPrune === 0 &&
        this.operations.restInSync(app, cmp)
      : !cmp.outOfSync;
    const newer = await this.operations.newerThanCache(pass);
    const health = await assessAppHealth(cmp.plan, pass.target.live, newer);
    this.describe(pass, cmp, synced, health.resources);
    status.health = {
      status: health.status,
      ...(health.status !== 'Healthy' && health.message ? { message: health.message } : {}),
    };
    const op = status.operationState;
    const running = isRunning(op);
    const [reason, message]: [Reason, string] = running
      ? ['Syncing', op.message ?? 'syncing']
      : (invalidObjects(cmp, outcome) ?? readiness(app, synced, health, outcome, paused));
    this.recordTransition(app, outcome, reason, message);
    this.setReady(pass, reason, message);
    this.setReconciling(
      pass,
      running
        ? ['Syncing', message]
        : health.status === 'Progressing'
          ? ['Progressing', health.message]
          : undefined,
    );
    const requeue = running
      ? RUNNING_REQUEUE_MS
      : this.requeueAfter(app, status, health.status, outcome);
    return {
      statusWritten: await this.write(pass),
      ...(outcome ? { synced: outcome } : {}),
      ...(requeue === undefined ? {} : { requeueAfterMs: requeue }),
    };
  }

  /** Step 5: continue the running operation, or decide whether to start one. */
  private async syncStep(
    pass: Pass,
    cmp: Comparison,
  ): Promise<{ outcome?: SyncOutcome; paused: boolean }> {
    const { app, status } = pass;
    if (isRunning(status.operationState)) {
      const outcome = await this.operations.continue(pass, cmp);
      return { paused: false, ...(outcome ? { outcome } : {}) };
    }
    const manual = app.operation?.sync !== undefined;
    const decision = decideSync(app, cmp, manual, this.heals, this.now().getTime());
    if (decision.sync) {
      const outcome = await this.operations.start(pass, cmp);
      if (outcome?.phase === 'Succeeded' && decision.selfHeal) this.heals.note(app);
      return { paused: decision.paused, ...(outcome ? { outcome } : {}) };
    }
    if (!cmp.outOfSync) {
      writeInventory(status, cmp.plan.resources.map(inventoryEntry));
      // In sync at a revision history does not show: a sync whose status write was lost (the
      // controller died after applying). Record the deployment now.
      if (status.history?.at(-1)?.revision !== cmp.revision && cmp.plan.resources.length > 0)
        status.history = appendHistory(app, status, cmp.revision, 'automated', this.now());
    }
    return { paused: decision.paused };
  }

  /** The Reconciling condition: set while syncing or progressing, removed otherwise. */
  private setReconciling(pass: Pass, why: [Reason, string] | undefined): void {
    const conditions = pass.status.conditions ?? [];
    pass.status.conditions = why
      ? setCondition(conditions, 'Reconciling', 'True', why[0], why[1], pass.now)
      : conditions.filter((c) => c.type !== 'Reconciling');
  }

  private recordTransition(
    app: Application,
    outcome: SyncOutcome | undefined,
    reason: Reason,
    message: string,
  ): void {
    if (outcome) {
      const ok = outcome.phase === 'Succeeded';
      void recordEvent(
        this.deps.kube,
        app,
        ok ? 'Normal' : 'Warning',
        ok ? 'SyncSucceeded' : 'SyncFailed',
        outcome.message,
      );
    } else if (
      reason === 'Degraded' &&
      getCondition(app.status?.conditions, 'Ready')?.reason !== 'Degraded'
    ) {
      void recordEvent(this.deps.kube, app, 'Warning', 'Degraded', message);
    }
  }

  private setReady(pass: Base, reason: Reason, message: string): void {
    pass.status.conditions = setCondition(
      pass.status.conditions ?? [],
      'Ready',
      reason === 'Succeeded' ? 'True' : 'False',
      reason,
      message,
      pass.now,
    );
  }

  /** Steps 1-4 failed: say why, keep everything running, retry (sooner when it may pass by itself). */
  private async comparisonFailed(pass: Base, err: unknown): Promise<ReconcileResult> {
    const { app, status, now } = pass;
    const e =
      err instanceof ComparisonError
        ? err
        : new ComparisonError('SourceFailed', errorMessage(err), false, err);
    if (getCondition(app.status?.conditions, 'Ready')?.reason !== e.reason)
      void recordEvent(this.deps.kube, app, 'Warning', e.reason, e.message);
    this.setReady(pass, e.reason, e.message);
    status.conditions = setCondition(
      status.conditions ?? [],
      'Stalled',
      e.terminal ? 'True' : 'False',
      e.reason,
      e.message,
      now,
    );
    status.sync = {
      ...(status.sync ?? {}),
      status: status.sync?.status === 'Synced' ? 'Unknown' : (status.sync?.status ?? 'Unknown'),
    };
    await this.endOperationOnError(pass, e);
    return { requeueAfterMs: e.terminal ? 60_000 : 10_000, statusWritten: await this.write(pass) };
  }

  /**
   * A manual request that cannot even be compared ends at once; a running operation ends only
   * when the problem needs a change in Git or the spec (otherwise it resumes when it passes).
   */
  private async endOperationOnError(pass: Base, e: ComparisonError): Promise<void> {
    const { app, status, now } = pass;
    const op = status.operationState;
    if (isRunning(op) && e.terminal) {
      const { progress: _p, ...previous } = op;
      status.operationState = { ...previous, phase: 'Error', message: e.message, finishedAt: now };
    } else if (app.operation?.sync && !isRunning(op)) {
      status.operationState = {
        phase: 'Error',
        message: e.message,
        startedAt: now,
        finishedAt: now,
        initiatedBy: initiator(app),
      };
    } else return;
    if (app.operation) await this.deps.patcher.patch(pass.kube, app, { operation: null });
  }

  /** Sync status and per-resource status (prune candidates included). */
  private describe(
    pass: Pass,
    cmp: Comparison,
    synced: boolean,
    resources: NonNullable<ApplicationStatus['resources']>,
  ): void {
    const { app, status } = pass;
    status.sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: cmp.revision,
      comparedTo: {
        source: app.spec.source,
        destination: comparedDestination(app, pass.target),
      },
    };
    const all = resources.map((r): ResourceStatus => {
      const d = cmp.diffs.get(
        refKey({ group: r.group, kind: r.kind, namespace: r.namespace ?? '', name: r.name }),
      );
      return { ...r, status: synced || d?.inSync ? 'Synced' : 'OutOfSync' };
    });
    for (const c of cmp.pruneCandidates)
      all.push({ ...c, status: synced ? 'Synced' : 'OutOfSync', requiresPruning: !synced });
    // Bounded whatever the app's size: at most 500 listed, every object counted (summary.ts).
    ({ resources: status.resources, summary: status.summary } = capResources(all));
    const images = appImages(cmp.plan.resources.map((r) => r.object));
    if (images.length > 0) status.summary.images = images;
    status.observedGeneration = app.metadata.generation ?? 0;
  }

  private requeueAfter(
    app: Application,
    status: ApplicationStatus,
    health: HealthStatus,
    outcome: SyncOutcome | undefined,
  ): number | undefined {
    if (outcome?.phase === 'Failed' && automatedEnabled(app))
      return retryDelay(app, status.operationState?.retryCount ?? 0);
    if (health === 'Progressing') return 2000;
    if (
      status.sync?.status === 'OutOfSync' &&
      automatedEnabled(app) &&
      app.spec.syncPolicy?.automated?.selfHeal
    )
      return Math.max(this.heals.delay(app), 500);
    return undefined;
  }

  private write(pass: Base): Promise<boolean> {
    return this.deps.patcher.patchStatus(pass.kube, pass.app, pass.status, {
      ignore: (s) => ({ ...s, reconciledAt: '' }),
      beforeWrite: (s) => {
        s.reconciledAt = this.now().toISOString();
      },
    });
  }
}

export { automatedEnabled, ComparisonError, getCondition, type Comparison };

/**
 * Objects the API server refuses (dry-run), shown before anyone syncs (as Argo CD's
 * ComparisonError): the reason and every object, with what to do.
 */
function invalidObjects(
  cmp: Comparison,
  outcome: SyncOutcome | undefined,
): [Reason, string] | undefined {
  if (outcome) return undefined;
  const errors = [...cmp.diffs.values()].flatMap((d) => (d.error ? [d.error] : []));
  if (errors.length === 0) return undefined;
  return [
    'ValidationFailed',
    `${errors.length} object(s) fail server-side validation, so a sync would apply nothing: ${someOf(
      errors.map((e) => e.describe()),
      5,
      '; ',
    )}`,
  ];
}

/** The target with its client cancelled by `signal`. */
function withSignal(target: AppTarget, signal: AbortSignal | undefined): AppTarget {
  return signal ? { ...target, kube: target.kube.withSignal(signal) } : target;
}
