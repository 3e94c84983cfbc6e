/**
 * The Application reconciler, in two layers (after fluxcd/kustomize-controller).
 *
 * Outer layer (`reconcile`): deletion and finalizer, dependsOn, then the inner steps; whatever
 * happens, the status is written once at the end, and only if it changed (an in-sync app costs no
 * write), and the outcome becomes a requeue decision.
 *
 * Inner steps (`compare`, then `act`), one method each:
 *   1. resolve the revision   2. render   3. preflight   4. diff
 *   5. sync (when out of sync and automated, or asked for)   6. prune (inside sync)
 *   7. health                 8. status, history
 */
import type {
  Application,
  ApplicationStatus,
  HealthStatus,
  InventoryEntry,
  OperationState,
  ResourceStatus,
} from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { createMergePatch } from '../kube/mergepatch.ts';
import { refKey } from '../kube/types.ts';
import { mapLimit } from '../util/semaphore.ts';
import { FINALIZER } from './annotations.ts';
import {
  appendHistory,
  assessAppHealth,
  dependencyProblem,
  initiator,
  nextInventory,
  readiness,
} from './appstatus.ts';
import {
  Comparer,
  ComparisonError,
  entryKey,
  inventoryEntry,
  type CompareDeps,
  type Comparison,
} from './compare.ts';
import { getCondition, setCondition } from './conditions.ts';
import {
  comparedDestination,
  detectMove,
  moveMessage,
  recordMove,
  targetFailure,
} from './destination.ts';
import { recordEvent } from './events.ts';
import type { AppTarget } from './live.ts';
import { jsonEqual } from './normalize.ts';
import { automatedEnabled, decideSync, retryDelay, SelfHealTracker } from './policy.ts';
import { apiVersionOf, pruneOne } from './prune.ts';
import { sync, type SyncOutcome } from './sync.ts';

export interface ReconcilerDeps extends CompareDeps {
  /** The local cluster: Applications, their status and their events are read and written here. */
  kube: Kube;
  /**
   * THE DESTINATION SEAM: the cluster an app's objects live in (its spec.destination), with its
   * live state. Everything about the app's objects goes through it: compare (dry-runs, diff),
   * sync (apply, hooks, waits, prune), health and finalizer pruning. Throws DestinationError
   * (-> Ready=False InvalidDestination, Stalled) or ClusterUnavailableError (ClusterUnreachable).
   */
  target: (app: Application) => Promise<AppTarget>;
  /** Looks up another Application (for dependsOn). */
  getApp: (namespace: string, name: string) => Application | undefined;
  now?: () => Date;
  waitTimeoutMs?: number;
  onProgress?: (app: Application, message: string) => void;
}

export interface ReconcileOptions {
  /** Fetch the repository even if the revision resolves locally (poll, webhook, refresh). */
  refresh?: 'always' | 'ifStale';
  signal?: AbortSignal;
}

export interface ReconcileResult {
  /** Reconcile again after this long (undefined: only on events). */
  requeueAfterMs?: number;
  synced?: SyncOutcome;
  statusWritten: boolean;
  /** The Application as the server returned it after this reconcile's last write. */
  updated?: Application;
}

export class Reconciler {
  private readonly deps: ReconcilerDeps;
  /** Per app, the object returned by its most recent write (handed to the caller in the result). */
  private readonly lastWrite = new Map<string, Application>();
  private readonly heals = new SelfHealTracker();
  private readonly comparer: Comparer;

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.comparer = new Comparer({
      appExists: (ns, name) => deps.getApp(ns, name) !== undefined,
      ...deps,
    });
  }

  /** Steps 1-4 only (what `sluice app diff` shows), against the app's destination. */
  async compare(
    app: Application,
    options: ReconcileOptions = {},
    target?: AppTarget,
  ): Promise<Comparison> {
    return this.comparer.compare(app, target ?? (await this.deps.target(app)), options.refresh);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The outer layer. `app` is the object as last seen; the status is patched at the end. */
  async reconcile(app: Application, options: ReconcileOptions = {}): Promise<ReconcileResult> {
    const key = `${app.metadata.namespace}/${app.metadata.name}`;
    this.lastWrite.delete(key);
    const result = await this.reconcileOnce(app, options);
    const updated = this.lastWrite.get(key);
    this.lastWrite.delete(key);
    if (updated) result.updated = updated;
    return result;
  }

  private async reconcileOnce(
    app: Application,
    options: ReconcileOptions,
  ): Promise<ReconcileResult> {
    const now = this.now().toISOString();
    const status: ApplicationStatus = structuredClone(app.status ?? {});
    status.conditions ??= [];
    const manual = app.operation?.sync !== undefined;
    let target: AppTarget, view: Application;
    try {
      ({ target, view } = await this.locate(app, status));
    } catch (err) {
      return this.targetFailed(app, status, err, manual, now);
    }
    if (app.metadata.deletionTimestamp) return this.finalize(view, target);

    const blocked = dependencyProblem(app, this.deps.getApp);
    if (blocked) {
      status.conditions = setCondition(
        status.conditions,
        'Ready',
        'False',
        'DependencyNotReady',
        blocked,
        now,
      );
      return { requeueAfterMs: 5000, statusWritten: await this.writeStatus(app, status) };
    }

    let cmp: Comparison;
    try {
      cmp = await this.compare(view, options, target).catch((err: unknown) => {
        // A missing path or revision may only mean our mirror is behind: fetch once and retry.
        if (options.refresh === 'always' || !(err instanceof ComparisonError && err.terminal))
          throw err;
        return this.compare(view, { ...options, refresh: 'always' }, target);
      });
    } catch (err) {
      return this.comparisonFailed(app, status, err, manual, now);
    }
    status.conditions = status.conditions.filter((c) => c.type !== 'Stalled');

    // step 5: sync, when asked for or automated
    const decision = decideSync(app, cmp, manual, this.heals);
    let outcome: SyncOutcome | undefined;
    if (decision.sync) {
      outcome = await this.runSync(app, cmp, status, manual, options, target);
      if (outcome.phase === 'Succeeded' && decision.selfHeal) this.heals.note(app);
    } else if (!cmp.outOfSync) {
      status.inventory = cmp.plan.resources.map(inventoryEntry);
      // In sync at a revision history does not show: a sync whose status write was lost (the
      // controller died after applying). Record the deployment now.
      if (status.history?.at(-1)?.revision !== cmp.revision && cmp.plan.resources.length > 0) {
        status.history = appendHistory(app, status, cmp.revision, 'automated', this.now());
      }
    }

    // steps 7-8: health and status
    const unpruned = outcome?.resources.some(
      (r) => r.action === 'pruneSkipped' && r.message?.includes('prune is off'),
    );
    const synced = outcome ? outcome.phase === 'Succeeded' && !unpruned : !cmp.outOfSync;
    const health = await assessAppHealth(cmp.plan, target.live);
    this.describe(app, status, cmp, synced, health.resources, target);
    status.health = {
      status: health.status,
      ...(health.status !== 'Healthy' && health.message ? { message: health.message } : {}),
    };
    const [reason, message] = readiness(app, synced, health, outcome, decision.paused);
    if (outcome) {
      const type = outcome.phase === 'Succeeded' ? 'Normal' : 'Warning';
      void recordEvent(
        this.deps.kube,
        app,
        type,
        outcome.phase === 'Succeeded' ? 'SyncSucceeded' : 'SyncFailed',
        outcome.message,
      );
    } else if (
      reason === 'Degraded' &&
      getCondition(app.status?.conditions, 'Ready')?.reason !== 'Degraded'
    ) {
      void recordEvent(this.deps.kube, app, 'Warning', 'Degraded', message);
    }
    status.conditions = setCondition(
      status.conditions,
      'Ready',
      reason === 'Succeeded' ? 'True' : 'False',
      reason,
      message,
      now,
    );
    status.conditions =
      health.status === 'Progressing'
        ? setCondition(status.conditions, 'Reconciling', 'True', 'Progressing', health.message, now)
        : status.conditions.filter((c) => c.type !== 'Reconciling');

    const result: ReconcileResult = {
      statusWritten: false,
      ...(outcome ? { synced: outcome } : {}),
    };
    const requeue = this.requeueAfter(app, status, health.status, outcome);
    if (requeue !== undefined) result.requeueAfterMs = requeue;
    result.statusWritten = await this.writeStatus(app, status);
    return result;
  }

  /** Steps 1-4 failed: say why, keep everything running, retry (sooner when it may pass by itself). */
  private async comparisonFailed(
    app: Application,
    status: ApplicationStatus,
    err: unknown,
    manual: boolean,
    now: string,
  ): Promise<ReconcileResult> {
    const e =
      err instanceof ComparisonError
        ? err
        : new ComparisonError('SourceFailed', errorMessage(err), false, err);
    if (getCondition(app.status?.conditions, 'Ready')?.reason !== e.reason) {
      void recordEvent(this.deps.kube, app, 'Warning', e.reason, e.message);
    }
    let conditions = setCondition(
      status.conditions ?? [],
      'Ready',
      'False',
      e.reason,
      e.message,
      now,
    );
    conditions = setCondition(
      conditions,
      'Stalled',
      e.terminal ? 'True' : 'False',
      e.reason,
      e.message,
      now,
    );
    status.conditions = conditions;
    status.sync = {
      ...(status.sync ?? {}),
      status: status.sync?.status === 'Synced' ? 'Unknown' : (status.sync?.status ?? 'Unknown'),
    };
    if (manual) {
      status.operationState = {
        phase: 'Error',
        message: e.message,
        startedAt: now,
        finishedAt: now,
        initiatedBy: initiator(app),
      };
      await this.clearOperation(app);
    }
    return {
      requeueAfterMs: e.terminal ? 60_000 : 10_000,
      statusWritten: await this.writeStatus(app, status),
    };
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
    return { target, view: { ...app, status: { ...app.status, inventory: [] } } };
  }

  /** The destination cannot be used: say why; a deleted app is let go or waits (see below). */
  private async targetFailed(
    app: Application,
    status: ApplicationStatus,
    err: unknown,
    manual: boolean,
    now: string,
  ): Promise<ReconcileResult> {
    const e = targetFailure(err);
    if (!app.metadata.deletionTimestamp || !app.metadata.finalizers?.includes(FINALIZER))
      return this.comparisonFailed(app, status, e, manual, now);
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
      return { requeueAfterMs: 10_000, statusWritten: await this.writeStatus(app, status) };
    }
    // Being deleted, cluster not registered (any more): nothing can be pruned there. As Argo CD,
    // let the app go, and say what was left.
    const left = app.status?.inventory?.length ?? 0;
    void recordEvent(
      this.deps.kube,
      app,
      'Warning',
      'InvalidDestination',
      `deleted without pruning (${left} object(s) left on the destination): ${e.message}`,
    );
    await this.removeFinalizer(app);
    return { statusWritten: false };
  }

  /** Step 5: sync, and record the operation, the inventory and, for a deployment, history. */
  private async runSync(
    app: Application,
    cmp: Comparison,
    status: ApplicationStatus,
    manual: boolean,
    options: ReconcileOptions,
    target: AppTarget,
  ): Promise<SyncOutcome> {
    const startedAt = this.now().toISOString();
    const automatedPrune = app.spec.syncPolicy?.automated?.prune ?? false;
    // Long syncs show their progress in status (phase Running): the latest message, written at
    // most every 2 s from the second 2 on, so quick syncs cost no extra write.
    let latest = '';
    let written = '';
    let reports = Promise.resolve();
    const report = (message: string): void => {
      this.deps.onProgress?.(app, message);
      latest = message;
    };
    const ticker = setInterval(() => {
      if (latest === written) return;
      written = latest;
      const running: OperationState = {
        phase: 'Running',
        message: latest,
        startedAt,
        initiatedBy: initiator(app),
      };
      reports = reports.then(() => this.writeOperation(app, running)).catch(() => undefined);
    }, 2000);
    report(`syncing to ${cmp.revision.slice(0, 7)}`);
    const outcome = await sync({
      app,
      plan: cmp.plan,
      diffs: cmp.diffs,
      revision: cmp.revision,
      prune: manual ? (app.operation?.sync?.prune ?? automatedPrune) : automatedPrune,
      pruneCandidates: cmp.pruneCandidates,
      kube: target.kube,
      waitTimeoutMs: this.deps.waitTimeoutMs ?? 300_000,
      concurrency: this.deps.concurrency ?? 16,
      diffCache: this.deps.diffCache,
      onProgress: report,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    clearInterval(ticker);
    await reports;
    const previous = status.operationState;
    const retrying =
      previous?.syncResult?.revision === cmp.revision && previous.phase === 'Failed' && !manual;
    const op: OperationState = {
      phase: outcome.phase,
      message: outcome.message,
      startedAt,
      finishedAt: this.now().toISOString(),
      initiatedBy: initiator(app),
      syncResult: { revision: cmp.revision, resources: outcome.resources },
      ...(outcome.phase === 'Failed'
        ? { retryCount: retrying ? (previous.retryCount ?? 0) + 1 : 0 }
        : {}),
    };
    status.operationState = op;
    status.inventory = nextInventory(cmp, outcome);
    // History records deployments: a new revision, or what a person asked for (not self-heal).
    if (
      outcome.phase === 'Succeeded' &&
      (manual || status.history?.at(-1)?.revision !== cmp.revision)
    ) {
      status.history = appendHistory(
        app,
        status,
        cmp.revision,
        op.initiatedBy ?? 'automated',
        this.now(),
      );
    }
    if (manual) await this.clearOperation(app);
    return outcome;
  }

  /** Sync status and per-resource status (prune candidates included). */
  private describe(
    app: Application,
    status: ApplicationStatus,
    cmp: Comparison,
    synced: boolean,
    resources: ResourceStatus[],
    target: AppTarget,
  ): void {
    status.sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: cmp.revision,
      comparedTo: { source: app.spec.source, destination: comparedDestination(app, target) },
    };
    status.resources = resources.map((r) => {
      const d = cmp.diffs.get(
        refKey({ group: r.group, kind: r.kind, namespace: r.namespace ?? '', name: r.name }),
      );
      return { ...r, status: synced || d?.inSync ? 'Synced' : 'OutOfSync' };
    });
    for (const c of cmp.pruneCandidates)
      status.resources.push({
        ...c,
        status: synced ? 'Synced' : 'OutOfSync',
        requiresPruning: !synced,
      });
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
    ) {
      return Math.max(this.heals.delay(app), 500);
    }
    return undefined;
  }

  private async clearOperation(app: Application): Promise<void> {
    this.lastWrite.set(
      `${app.metadata.namespace}/${app.metadata.name}`,
      await this.deps.kube.mergePatch<Application>(app, { operation: null }),
    );
  }

  /** Writes status only when it differs from what the object already has. */
  /** The status the server holds now: our last write in this reconcile, or what we were given. */
  private baseStatus(app: Application): ApplicationStatus | undefined {
    return (
      this.lastWrite.get(`${app.metadata.namespace}/${app.metadata.name}`)?.status ?? app.status
    );
  }

  private async writeOperation(app: Application, op: OperationState): Promise<void> {
    const patch = {
      status: { operationState: createMergePatch(this.baseStatus(app)?.operationState ?? {}, op) },
    };
    const written = await this.deps.kube.mergePatch<Application>(app, patch, {
      subresource: 'status',
    });
    this.lastWrite.set(`${app.metadata.namespace}/${app.metadata.name}`, written);
  }

  private async writeStatus(app: Application, status: ApplicationStatus): Promise<boolean> {
    const base = this.baseStatus(app);
    const stripTimes = (s: ApplicationStatus | undefined): ApplicationStatus => ({
      ...s,
      reconciledAt: '',
    });
    if (jsonEqual(stripTimes(base), stripTimes(status))) return false;
    status.reconciledAt = this.now().toISOString();
    // A computed patch, so fields that went away (a health message, a retry count) are removed.
    const patch = { status: createMergePatch(base ?? {}, status) };
    const written = await this.deps.kube.mergePatch<Application>(app, patch, {
      subresource: 'status',
    });
    this.lastWrite.set(`${app.metadata.namespace}/${app.metadata.name}`, written);
    return true;
  }

  /**
   * Deletion: with the resources finalizer, prune everything the app manages on its destination
   * (`target`), then let it go.
   */
  private async finalize(app: Application, target: AppTarget): Promise<ReconcileResult> {
    if (!app.metadata.finalizers?.includes(FINALIZER)) return { statusWritten: false };
    const entries = new Map<string, InventoryEntry>();
    for (const e of [
      ...(app.status?.inventory ?? []),
      ...target.live.trackedBy(app.metadata.namespace, app.metadata.name),
    ])
      entries.set(entryKey(e), e);
    const results = await mapLimit([...entries.values()], this.deps.concurrency ?? 16, (e) =>
      pruneOne(
        target.kube,
        e,
        { namespace: app.metadata.namespace, name: app.metadata.name },
        'Foreground',
      ),
    );
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length > 0) {
      const status = structuredClone(app.status ?? {});
      status.conditions = setCondition(
        status.conditions ?? [],
        'Ready',
        'False',
        'PruneFailed',
        failed.map((f) => f.message).join('; '),
        this.now().toISOString(),
      );
      await this.writeStatus(app, status);
      return { requeueAfterMs: 5000, statusWritten: true };
    }
    // Wait until the pruned objects are gone before releasing the Application.
    const skipped = new Set(
      results.filter((r) => r.action === 'pruneSkipped').map((r) => entryKey(r)),
    );
    for (const e of entries.values()) {
      if (skipped.has(entryKey(e))) continue;
      if (await target.kube.get(apiVersionOf(e), e.kind, e.namespace, e.name))
        return { requeueAfterMs: 1000, statusWritten: false };
    }
    await this.removeFinalizer(app);
    return { statusWritten: false };
  }

  private async removeFinalizer(app: Application): Promise<void> {
    const finalizers = (app.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.deps.kube.mergePatch(app, {
      metadata: { finalizers, resourceVersion: app.metadata.resourceVersion },
    });
  }
}

export { automatedEnabled, ComparisonError, getCondition, type Comparison };
