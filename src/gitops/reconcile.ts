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
  AppCondition,
  Application,
  ApplicationStatus,
  HealthStatus,
  InventoryEntry,
  OperationState,
  ResourceStatus,
} from '../api/application.ts';
import { errorMessage, SluiceError } from '../errors.ts';
import { assessHealth, worstHealth } from '../health/index.ts';
import type { Kube } from '../kube/api.ts';
import { createMergePatch } from '../kube/mergepatch.ts';
import { formatRef, refKey, type KubeObject } from '../kube/types.ts';
import type { RenderCache } from '../render/index.ts';
import { render, renderCacheKey } from '../render/index.ts';
import type { GitMirrors, RepoCredentials } from '../source/index.ts';
import { mapLimit } from '../util/semaphore.ts';
import { FINALIZER, objectSyncOptions, optionDisabled } from './annotations.ts';
import { getCondition, setCondition, type Reason } from './conditions.ts';
import { diffResource, type DiffCache, type ResourceDiff } from './diff.ts';
import { parseDuration } from './duration.ts';
import { jsonEqual } from './normalize.ts';
import type { LiveState } from './live.ts';
import { destinationNamespace, preflight, type DesiredResource, type Plan } from './preflight.ts';
import { apiVersionOf, pruneOne } from './prune.ts';
import { sync, type SyncOutcome } from './sync.ts';

export interface ReconcilerDeps {
  kube: Kube;
  mirrors: GitMirrors;
  renderCache: RenderCache;
  diffCache: DiffCache;
  live: LiveState;
  credentials: (repoURL: string) => Promise<RepoCredentials | undefined>;
  /** Looks up another Application (for dependsOn). */
  getApp: (namespace: string, name: string) => Application | undefined;
  now?: () => Date;
  waitTimeoutMs?: number;
  concurrency?: number;
  onProgress?: (app: Application, message: string) => void;
}

export interface ReconcileOptions {
  /** Fetch the repository even if the revision resolves locally (poll, webhook, refresh). */
  refresh?: boolean;
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

/** What the comparison found (steps 1-4). */
export interface Comparison {
  revision: string;
  plan: Plan;
  diffs: Map<string, ResourceDiff>;
  pruneCandidates: InventoryEntry[];
  outOfSync: boolean;
  /** Some desired object differs from the cluster (not only things left to prune). */
  drifted: boolean;
}

export class ComparisonError extends SluiceError {
  readonly reason: Reason;
  readonly terminal: boolean;
  constructor(reason: Reason, message: string, terminal: boolean, cause?: unknown) {
    super(reason, message, { cause });
    this.reason = reason;
    this.terminal = terminal;
  }
}

const HISTORY_LIMIT = 10;

export function inventoryEntry(r: DesiredResource): InventoryEntry {
  return {
    group: r.ref.group,
    version: r.version,
    kind: r.ref.kind,
    ...(r.ref.namespace ? { namespace: r.ref.namespace } : {}),
    name: r.ref.name,
  };
}

const entryKey = (e: InventoryEntry): string =>
  refKey({ group: e.group, kind: e.kind, namespace: e.namespace ?? '', name: e.name });

export function automatedEnabled(app: Application): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a.enabled !== false;
}

export class Reconciler {
  private readonly deps: ReconcilerDeps;
  /** Per app, the object returned by its most recent write (handed to the caller in the result). */
  private readonly lastWrite = new Map<string, Application>();
  /** Self-heal attempts per app, to back off from a fight with another actor. */
  private readonly heals = new Map<string, { count: number; last: number }>();

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  // ---- step 1: resolve the revision ------------------------------------------------------------
  async resolveRevision(app: Application, refresh: boolean): Promise<string> {
    const source = app.spec.source;
    const wanted = app.operation?.sync?.revision ?? source.targetRevision ?? 'HEAD';
    try {
      const credentials = await this.deps.credentials(source.repoURL);
      const resolved = await this.deps.mirrors.resolve(source.repoURL, wanted, {
        refresh,
        ...(credentials ? { credentials } : {}),
      });
      return resolved.sha;
    } catch (err) {
      const code = err instanceof SluiceError ? err.code : '';
      throw new ComparisonError(
        'SourceFailed',
        errorMessage(err),
        code === 'RevisionNotFound' || code === 'InvalidRepoURL',
        err,
      );
    }
  }

  // ---- step 2: render ----------------------------------------------------------------------------
  async render(app: Application, sha: string): Promise<KubeObject[]> {
    try {
      const root = await this.deps.mirrors.tree(app.spec.source.repoURL, sha);
      const req = {
        root,
        path: app.spec.source.path ?? '',
        source: app.spec.source,
        appName: app.metadata.name,
        namespace: destinationNamespace(app),
      };
      const result = await this.deps.renderCache.get(renderCacheKey(sha, req), () => render(req));
      return result.objects;
    } catch (err) {
      throw new ComparisonError(
        'RenderFailed',
        `rendering ${app.spec.source.path ?? '/'} at ${sha.slice(0, 7)} failed: ${errorMessage(err)}`,
        true,
        err,
      );
    }
  }

  /** Steps 1-4: what should run, and how it differs from what runs. Writes nothing. */
  async compare(app: Application, options: ReconcileOptions = {}): Promise<Comparison> {
    const revision = await this.resolveRevision(app, options.refresh ?? false);
    const objects = await this.render(app, revision);
    const inventory = app.status?.inventory ?? [];
    if (objects.length === 0 && inventory.length > 0) {
      throw new ComparisonError(
        'EmptyRender',
        `the render of ${app.spec.source.path ?? '/'} at ${revision.slice(0, 7)} produced no objects; refusing to prune the ${inventory.length} object(s) this app manages (delete the app, or commit at least one manifest)`,
        true,
      );
    }
    // step 3: preflight
    let plan: Plan;
    try {
      plan = await preflight(objects, app, this.deps.kube.discovery);
    } catch (err) {
      throw new ComparisonError(
        'PreflightFailed',
        errorMessage(err),
        !(err instanceof SluiceError && err.code === 'ClusterUnreachable'),
        err,
      );
    }
    // step 4: diff
    const pending = new Set(plan.createNamespaces);
    for (const r of plan.resources)
      if (r.ref.kind === 'Namespace' && r.ref.group === '') pending.add(r.ref.name);
    for (const ns of [...pending])
      if (await this.deps.live.get('v1', 'Namespace', undefined, ns)) pending.delete(ns);
    const ctx = {
      kube: this.deps.kube,
      cache: this.deps.diffCache,
      ignoreDifferences: app.spec.ignoreDifferences,
      live: (r: DesiredResource) =>
        this.deps.live.get(
          r.object.apiVersion,
          r.ref.kind,
          r.ref.namespace || undefined,
          r.ref.name,
        ),
      pendingNamespaces: pending,
    };
    const list = await mapLimit(plan.resources, this.deps.concurrency ?? 16, (r) =>
      diffResource(r, ctx),
    );
    const diffs = new Map(list.map((d) => [d.resource.key, d]));
    const wanted = new Set(plan.resources.map((r) => r.key));
    const candidates = new Map<string, InventoryEntry>();
    for (const e of [
      ...inventory,
      ...this.deps.live.trackedBy(app.metadata.namespace, app.metadata.name),
    ]) {
      if (!wanted.has(entryKey(e))) candidates.set(entryKey(e), e);
    }
    // Objects already gone need no pruning; objects marked Prune=false are left alone on purpose.
    const pruneCandidates: InventoryEntry[] = [];
    for (const c of candidates.values()) {
      const live = await this.deps.live.get(apiVersionOf(c), c.kind, c.namespace, c.name);
      if (live && !optionDisabled(objectSyncOptions(live), 'Prune')) pruneCandidates.push(c);
    }
    const drifted = list.some((d) => !d.inSync);
    const outOfSync = drifted || pruneCandidates.length > 0;
    return { revision, plan, diffs, pruneCandidates, outOfSync, drifted };
  }

  // ---- step 7: health ------------------------------------------------------------------------------
  private async health(
    plan: Plan,
  ): Promise<{ status: HealthStatus; message: string; resources: ResourceStatus[] }> {
    const resources: ResourceStatus[] = [];
    let worst: { status: HealthStatus; message: string } = { status: 'Healthy', message: '' };
    for (const r of plan.resources) {
      const live = await this.deps.live.get(
        r.object.apiVersion,
        r.ref.kind,
        r.ref.namespace || undefined,
        r.ref.name,
      );
      const h = assessHealth(live);
      const entry: ResourceStatus = {
        ...inventoryEntry(r),
        health: { status: h.status, ...(h.message ? { message: h.message } : {}) },
      };
      resources.push(entry);
      if (worstHealth([worst.status, h.status]) !== worst.status)
        worst = { status: h.status, message: `${formatRef(r.ref)}: ${h.message ?? h.status}` };
    }
    return { ...worst, resources };
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
    if (app.metadata.deletionTimestamp) return this.finalize(app);
    const now = this.now().toISOString();
    const status: ApplicationStatus = structuredClone(app.status ?? {});
    let conditions: AppCondition[] = status.conditions ?? [];
    const result: ReconcileResult = { statusWritten: false };
    const manual = app.operation?.sync !== undefined;

    const blocked = this.dependencyProblem(app);
    if (blocked) {
      conditions = setCondition(conditions, 'Ready', 'False', 'DependencyNotReady', blocked, now);
      status.conditions = conditions;
      result.requeueAfterMs = 5000;
      result.statusWritten = await this.writeStatus(app, status);
      return result;
    }

    let cmp: Comparison;
    try {
      cmp = await this.compare(app, options);
    } catch (err) {
      const e =
        err instanceof ComparisonError
          ? err
          : new ComparisonError('SourceFailed', errorMessage(err), false, err);
      conditions = setCondition(conditions, 'Ready', 'False', e.reason, e.message, now);
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
          initiatedBy: this.initiator(app),
        };
        await this.clearOperation(app);
      }
      result.requeueAfterMs = e.terminal ? 60_000 : 10_000;
      result.statusWritten = await this.writeStatus(app, status);
      return result;
    }
    conditions = conditions.filter((c) => c.type !== 'Stalled');

    // step 5: sync, when asked for or automated
    const decision = this.shouldSync(app, cmp, manual);
    let outcome: SyncOutcome | undefined;
    if (decision.sync) {
      const startedAt = this.now().toISOString();
      this.deps.onProgress?.(app, `syncing to ${cmp.revision.slice(0, 7)}`);
      outcome = await sync({
        app,
        plan: cmp.plan,
        diffs: cmp.diffs,
        revision: cmp.revision,
        prune: manual
          ? (app.operation?.sync?.prune ?? app.spec.syncPolicy?.automated?.prune ?? false)
          : (app.spec.syncPolicy?.automated?.prune ?? false),
        pruneCandidates: cmp.pruneCandidates,
        kube: this.deps.kube,
        waitTimeoutMs: this.deps.waitTimeoutMs ?? 300_000,
        concurrency: this.deps.concurrency ?? 16,
        onProgress: (m) => this.deps.onProgress?.(app, m),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      result.synced = outcome;
      const previous = status.operationState;
      const sameRevision =
        previous?.syncResult?.revision === cmp.revision && previous.phase === 'Failed';
      const op: OperationState = {
        phase: outcome.phase,
        message: outcome.message,
        startedAt,
        finishedAt: this.now().toISOString(),
        initiatedBy: this.initiator(app),
        syncResult: { revision: cmp.revision, resources: outcome.resources },
        ...(outcome.phase === 'Failed'
          ? { retryCount: sameRevision && !manual ? (previous.retryCount ?? 0) + 1 : 0 }
          : {}),
      };
      status.operationState = op;
      status.inventory = this.nextInventory(cmp, outcome);
      // History records deployments: a new revision, or what a person asked for (not self-heal).
      const lastDeployed = status.history?.at(-1)?.revision;
      if (outcome.phase === 'Succeeded' && (manual || lastDeployed !== cmp.revision)) {
        const by = op.initiatedBy ?? 'automated';
        status.history = this.appendHistory(app, status, cmp.revision, by);
      }
      if (outcome.phase === 'Succeeded' && decision.selfHeal) this.noteHeal(app);
      if (manual) await this.clearOperation(app);
    } else if (cmp.pruneCandidates.length === 0 && !cmp.outOfSync) {
      status.inventory = cmp.plan.resources.map(inventoryEntry);
    }

    // steps 7-8: health and status
    const unpruned = outcome?.resources.some(
      (r) => r.action === 'pruneSkipped' && r.message?.includes('prune is off'),
    );
    const synced = outcome ? outcome.phase === 'Succeeded' && !unpruned : !cmp.outOfSync;
    const health = await this.health(cmp.plan);
    status.sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: cmp.revision,
      comparedTo: { source: app.spec.source },
    };
    status.health = {
      status: health.status,
      ...(health.status !== 'Healthy' && health.message ? { message: health.message } : {}),
    };
    status.resources = health.resources.map((r) => {
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
    const [reason, message] = this.readiness(app, synced, health, outcome, decision.paused);
    conditions = setCondition(
      conditions,
      'Ready',
      reason === 'Succeeded' ? 'True' : 'False',
      reason,
      message,
      now,
    );
    const busy = health.status === 'Progressing';
    conditions = busy
      ? setCondition(conditions, 'Reconciling', 'True', 'Progressing', health.message, now)
      : conditions.filter((c) => c.type !== 'Reconciling');
    status.conditions = conditions;

    const requeue = this.requeueAfter(app, status, health.status, outcome);
    if (requeue !== undefined) result.requeueAfterMs = requeue;
    result.statusWritten = await this.writeStatus(app, status);
    return result;
  }

  private readiness(
    app: Application,
    synced: boolean,
    health: { status: HealthStatus; message: string },
    outcome: SyncOutcome | undefined,
    paused: boolean,
  ): [Reason, string] {
    if (outcome?.phase === 'Failed') return ['SyncFailed', outcome.message];
    if (!synced) {
      if (paused)
        return [
          'AutoSyncPaused',
          'automated sync is paused (after a rollback); enable it with `sluice app set ' +
            app.metadata.name +
            ' --auto-sync`',
        ];
      const failed = app.status?.operationState;
      if (failed?.phase === 'Failed')
        return ['SyncFailed', failed.message ?? 'the last sync failed'];
      return [
        'OutOfSync',
        automatedEnabled(app)
          ? 'out of sync; automated sync will apply it'
          : 'out of sync; run `sluice app sync ' + app.metadata.name + '`',
      ];
    }
    if (health.status === 'Healthy')
      return ['Succeeded', outcome ? outcome.message : 'synced and healthy'];
    if (health.status === 'Degraded' || health.status === 'Missing' || health.status === 'Unknown')
      return ['Degraded', health.message];
    return ['Progressing', health.message];
  }

  private initiator(app: Application): string {
    const by = app.operation?.initiatedBy;
    if (by?.username) return by.username;
    return app.operation?.sync ? 'user' : 'automated';
  }

  private dependencyProblem(app: Application): string | undefined {
    for (const dep of app.spec.dependsOn ?? []) {
      const ns = dep.namespace ?? app.metadata.namespace;
      const other = this.deps.getApp(ns, dep.name);
      if (!other) return `waiting for Application ${ns}/${dep.name}: it does not exist`;
      const s = other.status;
      if (s?.sync?.status !== 'Synced' || s.health?.status !== 'Healthy') {
        return `waiting for Application ${ns}/${dep.name} to be Synced and Healthy (now ${s?.sync?.status ?? 'Unknown'}/${s?.health?.status ?? 'Unknown'})`;
      }
    }
    return undefined;
  }

  /** Manual operations always sync; automated sync follows Argo CD's rules plus retry and self-heal backoff. */
  private shouldSync(
    app: Application,
    cmp: Comparison,
    manual: boolean,
  ): { sync: boolean; selfHeal: boolean; paused: boolean } {
    if (manual) return { sync: true, selfHeal: false, paused: false };
    if (!cmp.outOfSync) return { sync: false, selfHeal: false, paused: false };
    const automated = app.spec.syncPolicy?.automated;
    if (!automated) return { sync: false, selfHeal: false, paused: false };
    // Only leftovers to prune, and prune is off: a sync could not change anything.
    if (!cmp.drifted && !automated.prune && app.status?.sync?.revision === cmp.revision) {
      return { sync: false, selfHeal: false, paused: false };
    }
    if (automated.enabled === false) return { sync: false, selfHeal: false, paused: true };
    const last = app.status?.operationState;
    const lastRevision = last?.syncResult?.revision;
    if (last?.phase === 'Failed' && lastRevision === cmp.revision) {
      const retry = app.spec.syncPolicy?.retry;
      const limit = retry?.limit ?? 5;
      if (limit >= 0 && (last.retryCount ?? 0) >= limit)
        return { sync: false, selfHeal: false, paused: false };
      const wait = this.retryDelay(app, last.retryCount ?? 0);
      if (Date.now() - Date.parse(last.finishedAt ?? last.startedAt) < wait)
        return { sync: false, selfHeal: false, paused: false };
      return { sync: true, selfHeal: false, paused: false };
    }
    // Same revision already synced: only live drift is left; revert it only with selfHeal.
    const specChanged = (app.metadata.generation ?? 0) !== (app.status?.observedGeneration ?? -1);
    const newRevision =
      specChanged ||
      lastRevision !== cmp.revision ||
      app.status?.sync?.revision !== cmp.revision ||
      last?.phase !== 'Succeeded';
    if (newRevision) return { sync: true, selfHeal: false, paused: false };
    if (!automated.selfHeal) return { sync: false, selfHeal: false, paused: false };
    return { sync: this.healAllowed(app), selfHeal: true, paused: false };
  }

  retryDelay(app: Application, attempt: number): number {
    const b = app.spec.syncPolicy?.retry?.backoff;
    const base = parseDuration(b?.duration, 5000);
    const max = parseDuration(b?.maxDuration, 180_000);
    return Math.min(base * Math.pow(b?.factor ?? 2, attempt), max);
  }

  /** Self-heal is immediate, but when drift keeps coming back, waits double each time (max 5 min). */
  private healDelay(app: Application): number {
    const h = this.heals.get(`${app.metadata.namespace}/${app.metadata.name}`);
    if (!h || Date.now() - h.last > 120_000) return 0;
    return h.count < 3 ? 0 : Math.min(1000 * Math.pow(2, h.count - 3), 300_000);
  }

  private healAllowed(app: Application): boolean {
    const h = this.heals.get(`${app.metadata.namespace}/${app.metadata.name}`);
    return !h || Date.now() - h.last >= this.healDelay(app);
  }

  private noteHeal(app: Application): void {
    const key = `${app.metadata.namespace}/${app.metadata.name}`;
    const h = this.heals.get(key);
    const fresh = !h || Date.now() - h.last > 120_000;
    this.heals.set(key, { count: fresh ? 1 : h.count + 1, last: Date.now() });
  }

  private nextInventory(cmp: Comparison, outcome: SyncOutcome): InventoryEntry[] {
    const pruned = new Set(
      outcome.resources.filter((r) => r.action === 'pruned').map((r) => entryKey({ ...r })),
    );
    const next = new Map<string, InventoryEntry>();
    for (const r of cmp.plan.resources) next.set(r.key, inventoryEntry(r));
    // Keep what is still out there (prune off, or failed) so it stays visible and prunable later.
    for (const c of cmp.pruneCandidates) if (!pruned.has(entryKey(c))) next.set(entryKey(c), c);
    return [...next.values()];
  }

  private appendHistory(
    app: Application,
    status: ApplicationStatus,
    revision: string,
    initiatedBy: string,
  ) {
    const history = [...(status.history ?? [])];
    const id = (history.at(-1)?.id ?? 0) + 1;
    history.push({
      id,
      revision,
      deployedAt: this.now().toISOString(),
      initiatedBy,
      source: app.spec.source,
    });
    return history.slice(-(app.spec.revisionHistoryLimit ?? HISTORY_LIMIT));
  }

  private requeueAfter(
    app: Application,
    status: ApplicationStatus,
    health: HealthStatus,
    outcome: SyncOutcome | undefined,
  ): number | undefined {
    if (outcome?.phase === 'Failed' && automatedEnabled(app))
      return this.retryDelay(app, status.operationState?.retryCount ?? 0);
    if (health === 'Progressing') return 2000;
    if (
      status.sync?.status === 'OutOfSync' &&
      automatedEnabled(app) &&
      app.spec.syncPolicy?.automated?.selfHeal
    ) {
      return Math.max(this.healDelay(app), 500);
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
  private async writeStatus(app: Application, status: ApplicationStatus): Promise<boolean> {
    const stripTimes = (s: ApplicationStatus | undefined): ApplicationStatus => ({
      ...s,
      reconciledAt: '',
    });
    if (jsonEqual(stripTimes(app.status), stripTimes(status))) return false;
    status.reconciledAt = this.now().toISOString();
    // A computed patch, so fields that went away (a health message, a retry count) are removed.
    const patch = { status: createMergePatch(app.status ?? {}, status) };
    const written = await this.deps.kube.mergePatch<Application>(app, patch, {
      subresource: 'status',
    });
    this.lastWrite.set(`${app.metadata.namespace}/${app.metadata.name}`, written);
    return true;
  }

  /** Deletion: with the resources finalizer, prune everything the app manages, then let it go. */
  private async finalize(app: Application): Promise<ReconcileResult> {
    if (!app.metadata.finalizers?.includes(FINALIZER)) return { statusWritten: false };
    const entries = new Map<string, InventoryEntry>();
    for (const e of [
      ...(app.status?.inventory ?? []),
      ...this.deps.live.trackedBy(app.metadata.namespace, app.metadata.name),
    ])
      entries.set(entryKey(e), e);
    const results = await mapLimit([...entries.values()], this.deps.concurrency ?? 16, (e) =>
      pruneOne(
        this.deps.kube,
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
      if (await this.deps.kube.get(apiVersionOf(e), e.kind, e.namespace, e.name))
        return { requeueAfterMs: 1000, statusWritten: false };
    }
    const finalizers = (app.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.deps.kube.mergePatch(app, {
      metadata: { finalizers, resourceVersion: app.metadata.resourceVersion },
    });
    return { statusWritten: false };
  }
}

export { getCondition };
