/**
 * Step 5: bring the cluster to the plan, one step at a time. `advanceSync` takes a running
 * operation (its saved progress and results), performs the steps that operation.ts decides —
 * apply a wave, start hooks, prune — recording each result, until the step machine says
 * "wait" (the watch cache will wake the app) or "finish". It never holds a worker while a Job
 * runs and never polls the API for health: health comes from the watch cache.
 *
 * Before the first write, every object of the revision must have passed its server-side dry-run
 * (validate, ADR 0004); otherwise nothing is applied. Only out-of-sync objects are applied; the
 * others are reported `unchanged`. What is applied is what was dry-run: Git's object less what
 * the Rollout controller and operators own (coexist.ts, ADR 0008).
 */
import type {
  Application,
  HookRecord,
  InventoryEntry,
  OperationState,
  ResourceResult,
} from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import { assessHealth } from '../health/index.ts';
import type { Kube } from '../kube/api.ts';
import { KubeApiError } from '../kube/errors.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { mapLimit } from '../util/semaphore.ts';
import { FIELD_MANAGER, MANAGED_LABEL, optionEnabled, parseOptions } from './annotations.ts';
import { rolloutRoles, type RolloutRoles, type Yielded } from './coexist.ts';
import { inventoryEntry } from './compare.ts';
import {
  desiredFor,
  hashObject,
  liveFingerprint,
  memoKey,
  type DiffCache,
  type ResourceDiff,
} from './diff.ts';
import { resourceError, type ResourceError } from './errors.ts';
import { applyDeletePolicy, hookResult, observeHook, startHook, stopHook } from './hooks.ts';
import type { LiveState } from './live.ts';
import { failed, hookRecordKey, nextStep, type Step, type SyncView } from './operation.ts';
import type { DesiredResource, Plan } from './preflight.ts';
import { pruneOne, type PropagationPolicy } from './prune.ts';
import { ProgressCounter } from './progress.ts';
import { ResultLog } from './results.ts';
import { clip, failuresMessage, someOf } from './summary.ts';

export interface SyncTarget {
  app: Application;
  plan: Plan;
  diffs: ReadonlyMap<string, ResourceDiff>;
  revision: string;
  pruneCandidates: readonly InventoryEntry[];
}

export interface SyncDeps {
  /** The destination cluster, carrying the reconcile's AbortSignal. */
  kube: Kube;
  live: LiveState;
  diffCache?: DiffCache;
  concurrency?: number;
  /** How long one wait (a hook, a wave settling) may last. */
  waitTimeoutMs: number;
  now: () => Date;
  onProgress?: (message: string) => void;
  /** Objects this controller applied recently, newer than the watch cache may show yet. */
  recent: Map<string, KubeObject>;
}

export interface SyncOutcome {
  phase: 'Succeeded' | 'Failed';
  message: string;
  /** The results listed in status (at most 500 and the hooks; `syncResult.counts` has all). */
  resources: ResourceResult[];
  /** Objects no longer in Git left in place because prune is off (the app stays OutOfSync). */
  leftToPrune: number;
}

export interface Advanced {
  state: OperationState;
  /** Set when the operation ended. */
  outcome?: SyncOutcome;
}

function result(
  r: DesiredResource,
  action: ResourceResult['action'],
  message: string,
): ResourceResult {
  return { ...inventoryEntry(r), action, message, syncWave: r.wave };
}

export interface ResourceSelector {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * A selective sync (`sluice app sync --resource GROUP:KIND:NAME`), as in Argo CD: only the named
 * objects are applied; no hooks run and nothing is pruned.
 */
export function selectResources(
  target: SyncTarget,
  selectors: readonly ResourceSelector[] | undefined,
): SyncTarget {
  if (!selectors?.length) return target;
  const wanted = (r: DesiredResource): boolean =>
    selectors.some(
      (s) =>
        s.group === r.ref.group &&
        s.kind === r.ref.kind &&
        s.name === r.ref.name &&
        (s.namespace === undefined || s.namespace === r.ref.namespace),
    );
  return {
    ...target,
    plan: { ...target.plan, resources: target.plan.resources.filter(wanted), hooks: [] },
    pruneCandidates: [],
  };
}

/** A failed result, with its reason as data and the message (with the hint) for people. */
function failure(r: DesiredResource, err: ResourceError | undefined): ResourceResult {
  return {
    ...result(r, 'failed', err?.describe() ?? 'failed'),
    ...(err ? { reason: err.reason } : {}),
  };
}

/** The first step of every operation: every dry-run passed, or nothing is written. */
export function validate(target: SyncTarget): ResourceResult[] | undefined {
  const bad = target.plan.resources.filter((r) => target.diffs.get(r.key)?.error);
  if (bad.length === 0) return undefined;
  return bad.map((r) => failure(r, target.diffs.get(r.key)?.error));
}

/** What to apply, and the live resourceVersion it was built from. */
interface Versioned extends Yielded {
  version: string | undefined;
}

/** The body of an apply: with the live resourceVersion when it carries live values. */
function withVersion(y: Versioned): KubeObject {
  if (!y.carried || !y.version) return y.object;
  return { ...y.object, metadata: { ...y.object.metadata, resourceVersion: y.version } };
}

class SyncRun {
  private readonly results: ResultLog;
  private state: OperationState;
  private readonly target: SyncTarget;
  private readonly deps: SyncDeps;
  private readonly policy: PropagationPolicy;
  private roles: RolloutRoles | undefined;

  constructor(target: SyncTarget, state: OperationState, deps: SyncDeps) {
    this.target = target;
    this.deps = deps;
    this.state = structuredClone(state);
    this.results = new ResultLog(state.syncResult);
    const p = parseOptions(target.app.spec.syncPolicy?.syncOptions ?? [])
      .get('PrunePropagationPolicy')
      ?.toLowerCase();
    this.policy = p === 'foreground' ? 'Foreground' : p === 'orphan' ? 'Orphan' : 'Background';
  }

  private get progress(): NonNullable<OperationState['progress']> {
    return this.state.progress as NonNullable<OperationState['progress']>;
  }

  private set progress(p: NonNullable<OperationState['progress']>) {
    this.state.progress = p;
  }

  private record(...rs: ResourceResult[]): void {
    this.results.record(...rs);
  }

  private snapshot(): OperationState {
    return { ...this.state, syncResult: this.results.syncResult(this.target.revision) };
  }

  private liveOf(r: DesiredResource): Promise<KubeObject | undefined> {
    return this.deps.live.get(
      r.object.apiVersion,
      r.ref.kind,
      r.ref.namespace || undefined,
      r.ref.name,
    );
  }

  /** Health of every object, from the cache, or from our own apply when the cache is behind. */
  private async view(): Promise<SyncView> {
    const health = new Map<
      string,
      { status: ReturnType<typeof assessHealth>['status']; message?: string }
    >();
    for (const r of this.target.plan.resources) {
      const cached = await this.liveOf(r);
      const mine = this.deps.recent.get(r.key);
      const behind = mine && (cached?.metadata.generation ?? 0) < (mine.metadata.generation ?? 0);
      const h = assessHealth(behind ? mine : cached);
      health.set(r.key, { status: h.status, ...(h.message ? { message: h.message } : {}) });
    }
    return {
      plan: this.target.plan,
      health: (key) => health.get(key) ?? { status: 'Missing' },
      crdEstablished: (key) => health.get(key)?.status === 'Healthy',
      pruneLast: optionEnabled(
        parseOptions(this.target.app.spec.syncPolicy?.syncOptions ?? []),
        'PruneLast',
      ),
      now: this.deps.now().getTime(),
      waitTimeoutMs: this.deps.waitTimeoutMs,
    };
  }

  /** Hooks that were running: read their state from the cache. */
  private async observeHooks(): Promise<void> {
    const byKey = new Map(this.target.plan.hooks.map((h) => [h.key, h]));
    const hooks: HookRecord[] = [];
    for (const h of this.progress.hooks ?? []) {
      const desired = byKey.get(h.key);
      const seen = await observeHook(
        this.deps.kube,
        this.deps.live,
        h,
        desired?.deletePolicies ?? new Set(),
      );
      if (seen.phase !== h.phase) this.record(hookResult(seen, desired?.wave));
      hooks.push(seen);
    }
    this.progress = { ...this.progress, hooks };
  }

  async advance(): Promise<Advanced> {
    // CreateNamespace=true: the destination exists before any hook or wave (idempotent on resume).
    if (this.progress.stage === 'PreSync' && this.progress.wave === Number.MIN_SAFE_INTEGER)
      await this.validateInside(await this.createNamespaces());
    await this.observeHooks();
    for (;;) {
      const d = nextStep(this.progress, await this.view());
      this.progress = d.progress;
      const step = d.step;
      if (step.type === 'wait') {
        this.state.message = clip(step.message);
        return { state: this.snapshot() };
      }
      if (step.type === 'finish') return this.finish(step);
      await this.perform(step);
    }
  }

  private async perform(step: Exclude<Step, { type: 'wait' | 'finish' }>): Promise<void> {
    if (step.type === 'apply') return this.apply(step.wave, step.resources, step.stage0);
    if (step.type === 'prune') return this.prune();
    const id = this.state.startedAt;
    this.deps.onProgress?.(
      `running ${step.hookType} hook(s) ${someOf(step.hooks.map((h) => formatRef(h.ref)))}`,
    );
    const started = await mapLimit(step.hooks, this.deps.concurrency ?? 8, (h) =>
      startHook(this.deps.kube, this.deps.live, h, step.hookType, id),
    );
    for (const [i, h] of started.entries()) {
      this.record(hookResult(h, step.hooks[i]?.wave));
      // Hooks that are done once created (a ConfigMap) end here: apply their delete policy.
      await applyDeletePolicy(this.deps.kube, h, step.hooks[i]?.deletePolicies ?? new Set());
    }
    const hooks = [...(this.progress.hooks ?? [])];
    for (const h of started) {
      const i = hooks.findIndex(
        (x) => hookRecordKey(x.type, x.key) === hookRecordKey(h.type, h.key),
      );
      if (i >= 0) hooks[i] = h;
      else hooks.push(h);
    }
    this.progress = { ...this.progress, hooks };
  }

  /**
   * Applies what was dry-run. An object carrying live values (a Rollout's weights, its Service's
   * version) goes with the live resourceVersion: if the Rollout controller wrote it in between,
   * the apply conflicts, and the object is read and rebuilt (at most 3 times), never overwritten.
   */
  private async applyYielded(
    r: DesiredResource,
    diff: ResourceDiff | undefined,
  ): Promise<{ body: KubeObject; applied: KubeObject }> {
    let y: Versioned = {
      object: diff?.desired ?? r.object,
      carried: diff?.carried === true,
      version: diff?.live?.metadata.resourceVersion,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await this.deps.kube.apply(withVersion(y), {
          fieldManager: FIELD_MANAGER,
          force: true,
        });
        return { body: y.object, applied };
      } catch (err) {
        const conflict = err instanceof KubeApiError && err.status === 409;
        if (!y.carried || !conflict || attempt >= 3) throw err;
      }
      y = await this.rebuild(r);
    }
  }

  /** Git's object less what others own, against a fresh read of the live object. */
  private async rebuild(r: DesiredResource): Promise<Versioned> {
    const { apiVersion } = r.object;
    const ns = r.ref.namespace || undefined;
    const live = await this.deps.kube.get(apiVersion, r.ref.kind, ns, r.ref.name);
    this.roles ??= rolloutRoles([...this.target.diffs.values()].map((d) => d.resource));
    const { spec } = this.target.app;
    const y = desiredFor(r, live, {
      roles: this.roles,
      ignoreDifferences: spec.ignoreDifferences,
      respectIgnoreDifferences: optionEnabled(
        parseOptions(spec.syncPolicy?.syncOptions ?? []),
        'RespectIgnoreDifferences',
      ),
    });
    return { ...y, version: live?.metadata.resourceVersion };
  }

  private async applyOne(r: DesiredResource): Promise<ResourceResult> {
    const diff = this.target.diffs.get(r.key);
    if (diff?.inSync) return result(r, 'unchanged', 'in sync');
    try {
      const { body, applied } = await this.applyYielded(r, diff);
      // What apply returned is what a dry-run of the same object would predict: remember it, so
      // the reconcile that the resulting watch event triggers needs no dry-run.
      this.deps.diffCache?.store(
        memoKey(this.deps.kube, r.key),
        hashObject(body),
        liveFingerprint(applied),
        applied,
      );
      this.deps.recent.set(r.key, applied);
      const action = diff?.live ? 'configured' : 'created';
      return result(r, action, action);
    } catch (err) {
      return failure(r, resourceError(r.ref, 'ApplyFailed', err));
    }
  }

  private async apply(wave: number, resources: DesiredResource[], stage0: boolean): Promise<void> {
    if (resources.length > 0)
      this.deps.onProgress?.(`wave ${wave}: applying ${resources.length} object(s)`);
    // Kinds from a CRD of this revision are served now (the CRDs were Established): look again.
    if (!stage0 && resources.some((r) => r.crdPending)) this.deps.kube.discovery.invalidate();
    const counter = this.counter(`wave ${wave}: applied`, resources.length);
    const out = await mapLimit(
      resources,
      this.deps.concurrency ?? 8,
      counter.wrap((r: DesiredResource) => this.applyOne(r)),
    );
    this.record(...out);
    if (out.some((r) => r.action !== 'unchanged' && r.kind === 'CustomResourceDefinition'))
      this.deps.kube.discovery.invalidate();
    const bad = out.filter((x) => x.action === 'failed');
    if (bad.length > 0) {
      this.progress = failed(this.progress, failuresMessage('failed to apply', bad));
      return;
    }
    this.progress = { ...this.progress, applied: stage0 ? 'stage0' : 'all' };
  }

  /** Reports "<what> 3120/5000 object(s)" every 2 s while a long step runs. */
  private counter(what: string, total: number): ProgressCounter {
    return new ProgressCounter(
      total,
      (done) => this.deps.onProgress?.(`${what} ${done}/${total} object(s)`),
      () => this.deps.now().getTime(),
    );
  }

  /**
   * Objects of a namespace that did not exist could not be dry-run before; now that it does,
   * they are. If one fails, nothing more is applied and the namespaces just created are removed:
   * the revision goes in whole or not at all.
   */
  private async validateInside(created: string[]): Promise<void> {
    if (created.length === 0) return;
    const inside = this.target.plan.resources.filter(
      (r) => !r.crdPending && r.namespaced && created.includes(r.ref.namespace),
    );
    const checked = await mapLimit(inside, this.deps.concurrency ?? 8, async (r) => {
      try {
        await this.deps.kube.apply(r.object, {
          fieldManager: FIELD_MANAGER,
          force: true,
          dryRun: true,
        });
        return undefined;
      } catch (err) {
        return failure(r, resourceError(r.ref, 'DryRunFailed', err));
      }
    });
    const bad = checked.filter((x): x is ResourceResult => x !== undefined);
    if (bad.length === 0) return;
    this.record(...bad);
    for (const ns of created)
      await this.deps.kube
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch(() => false);
    const { waitingSince: _w, applied: _a, ...rest } = this.progress;
    this.progress = {
      ...rest,
      stage: 'Done',
      failure: failuresMessage(
        `failed validation (server-side dry-run) in the new namespace ${created.join(', ')}; nothing was applied and the namespace was removed`,
        bad,
      ),
    };
  }

  /** CreateNamespace=true: the destination namespace, before anything else; returns those created. */
  private async createNamespaces(): Promise<string[]> {
    const created: string[] = [];
    for (const ns of this.target.plan.createNamespaces) {
      if (await this.deps.live.get('v1', 'Namespace', undefined, ns)) continue;
      const obj: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { [MANAGED_LABEL]: 'true' } },
      };
      try {
        await this.deps.kube.apply(obj, { fieldManager: FIELD_MANAGER });
        created.push(ns);
        this.deps.onProgress?.(`created Namespace/${ns} (CreateNamespace=true)`);
      } catch (err) {
        this.progress = failed(
          this.progress,
          `could not create Namespace/${ns}: ${errorMessage(err)}`,
        );
      }
    }
    return created;
  }

  private async prune(): Promise<void> {
    const candidates = this.target.pruneCandidates;
    if (!this.progress.prune) {
      this.record(
        ...candidates.map((c): ResourceResult => ({
          ...c,
          action: 'pruneSkipped',
          message: 'no longer in Git; prune is off',
        })),
      );
    } else if (candidates.length > 0) {
      this.deps.onProgress?.(`pruning ${candidates.length} object(s)`);
      const app = {
        namespace: this.target.app.metadata.namespace,
        name: this.target.app.metadata.name,
      };
      const counter = this.counter('pruned', candidates.length);
      const out = await mapLimit(
        candidates,
        this.deps.concurrency ?? 8,
        counter.wrap((c: InventoryEntry) => pruneOne(this.deps.kube, c, app, this.policy)),
      );
      this.record(...out);
      const bad = out.filter((r) => r.action === 'failed');
      if (bad.length > 0) {
        this.progress = failed(this.progress, failuresMessage('could not be pruned', bad));
        return;
      }
    }
    this.progress = { ...this.progress, applied: 'all' };
  }

  private finish(step: Extract<Step, { type: 'finish' }>): Advanced {
    const resources = this.results.resources;
    const leftToPrune =
      (this.state.progress?.prune ?? true) ? 0 : this.target.pruneCandidates.length;
    let message = clip(step.message);
    if (step.phase === 'Succeeded') {
      const summary = this.results.summary();
      message = `successfully synced (${summary || 'nothing to do'}) at ${this.target.revision.slice(0, 7)}`;
    }
    const { progress: _p, ...rest } = this.state;
    const state: OperationState = {
      ...rest,
      phase: step.phase,
      message,
      finishedAt: this.deps.now().toISOString(),
      syncResult: this.results.syncResult(this.target.revision),
    };
    return { state, outcome: { phase: step.phase, message, resources, leftToPrune } };
  }

  /** `sluice app terminate-op`: stop running hooks, end Failed. */
  async terminate(by: string): Promise<Advanced> {
    const hooks = await Promise.all(
      (this.state.progress?.hooks ?? []).map((h) => stopHook(this.deps.kube, h)),
    );
    for (const h of hooks) this.record(hookResult(h, undefined));
    if (this.state.progress) this.progress = { ...this.progress, hooks };
    return this.finish({
      type: 'finish',
      phase: 'Failed',
      message: `operation terminated by ${by}`,
    });
  }
}

/** Performs the next steps of a running operation; see the file comment. */
export function advanceSync(
  target: SyncTarget,
  state: OperationState,
  deps: SyncDeps,
): Promise<Advanced> {
  return new SyncRun(target, state, deps).advance();
}

export function terminateSync(
  target: SyncTarget,
  state: OperationState,
  deps: SyncDeps,
  by: string,
): Promise<Advanced> {
  return new SyncRun(target, state, deps).terminate(by);
}
