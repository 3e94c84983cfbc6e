/**
 * Step 5 of a reconcile, the operation half: start a sync operation (validate, then the steps
 * that need no wait), continue a running one (or stop it: terminate-op), write its progress
 * while a long step runs, and end it (inventory, history, the request cleared). The step
 * machine itself is operation.ts; sync.ts performs its steps.
 */
import type { Application, ApplicationStatus, OperationState } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import type { StatusPatcher } from '../runtime/patcher.ts';
import { appendHistory, nextInventory } from './appstatus.ts';
import type { Comparison } from './compare.ts';
import { writeInventory } from './inventory.ts';
import type { AppTarget } from './live.ts';
import { newOperation } from './operation.ts';
import { ProgressWriter } from './progresswriter.ts';
import { ResultLog } from './results.ts';
import { failuresMessage } from './summary.ts';
import {
  advanceSync,
  selectResources,
  terminateSync,
  validate,
  type SyncDeps,
  type SyncOutcome,
  type SyncTarget,
} from './sync.ts';
import type { ReconcilerDeps } from './reconcile.ts';

/** One reconcile's working set. */
export interface Pass {
  app: Application;
  /** The local cluster (status, events), carrying the reconcile's signal. */
  kube: Kube;
  /** The destination cluster, its client carrying the reconcile's signal. */
  target: AppTarget;
  status: ApplicationStatus;
  now: string;
}

export const isRunning = (op: OperationState | undefined): op is OperationState =>
  op?.phase === 'Running' || op?.phase === 'Terminating';

export interface OperationsDeps {
  deps: ReconcilerDeps & { patcher: StatusPatcher<ApplicationStatus, Application> };
  now: () => Date;
  /** Writes the pass's status (the reconciler's one writer). */
  write: (pass: Pass) => Promise<boolean>;
}

export class Operations {
  private readonly deps: OperationsDeps['deps'];
  private readonly now: () => Date;
  private readonly write: (pass: Pass) => Promise<boolean>;
  /** Per app, objects it applied whose newer version the watch cache may not show yet. */
  private readonly recent = new Map<string, Map<string, KubeObject>>();

  constructor(o: OperationsDeps) {
    this.deps = o.deps;
    this.now = o.now;
    this.write = o.write;
  }

  /**
   * The objects this app applied that the watch cache does not show yet (a newer generation),
   * by resource key; entries the cache has caught up with are dropped.
   */
  async newerThanCache(pass: Pass): Promise<ReadonlyMap<string, KubeObject>> {
    const key = `${pass.app.metadata.namespace}/${pass.app.metadata.name}`;
    const recent = this.recent.get(key);
    if (!recent) return new Map();
    for (const [k, mine] of recent) {
      const m = mine.metadata;
      const cached = await pass.target.live.get(
        mine.apiVersion,
        mine.kind,
        m.namespace || undefined,
        m.name ?? '',
      );
      if ((cached?.metadata.generation ?? 0) >= (m.generation ?? 0)) recent.delete(k);
    }
    if (recent.size === 0) this.recent.delete(key);
    return recent;
  }

  /** The app was deleted: nothing of it to remember. */
  forget(app: { metadata: { namespace?: string; name?: string } }): void {
    this.recent.delete(`${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}`);
  }

  private syncDeps(pass: Pass): SyncDeps {
    const key = `${pass.app.metadata.namespace}/${pass.app.metadata.name}`;
    let recent = this.recent.get(key);
    if (!recent) this.recent.set(key, (recent = new Map<string, KubeObject>()));
    return {
      kube: pass.target.kube,
      live: pass.target.live,
      diffCache: this.deps.diffCache,
      concurrency: this.deps.concurrency ?? 16,
      waitTimeoutMs: this.deps.waitTimeoutMs ?? 300_000,
      now: () => this.now(),
      recent,
      onProgress: (m) => this.deps.onProgress?.(pass.app, m),
    };
  }

  /** After a selective sync: were the objects it did not name in sync already? */
  restInSync(app: Application, cmp: Comparison): boolean {
    const selected = this.target(app, cmp).plan.resources;
    if (selected === cmp.plan.resources) return true;
    const named = new Set(selected.map((r) => r.key));
    const rest = [...cmp.diffs.values()].filter((d) => !named.has(d.resource.key));
    return cmp.pruneCandidates.length === 0 && rest.every((d) => d.inSync);
  }

  /** What the operation works on: the whole plan, or the objects a selective sync names. */
  private target(app: Application, cmp: Comparison): SyncTarget {
    const whole: SyncTarget = {
      app,
      plan: cmp.plan,
      diffs: cmp.diffs,
      revision: cmp.revision,
      pruneCandidates: cmp.pruneCandidates,
    };
    return selectResources(whole, app.operation?.sync?.resources);
  }

  /** Step 5, first reconcile of an operation: validate, then as many steps as need no wait. */
  async start(pass: Pass, cmp: Comparison): Promise<SyncOutcome | undefined> {
    const { app, status } = pass;
    const state = newOperation(app, status.operationState, cmp.revision, pass.now);
    // Everything this revision brings is tracked from the start: a crash mid-sync loses nothing.
    writeInventory(status, nextInventory(cmp, { resources: [] }));
    const bad = validate(this.target(app, cmp));
    if (bad) {
      const message = failuresMessage(
        'failed validation (server-side dry-run); nothing was applied',
        bad,
      );
      const results = new ResultLog();
      results.record(...bad);
      const { progress: _p, ...rest } = state;
      status.operationState = {
        ...rest,
        phase: 'Failed',
        message,
        finishedAt: this.now().toISOString(),
        retryCount: state.retryCount ?? 0,
        syncResult: results.syncResult(cmp.revision),
      };
      return this.operationEnded(pass, cmp, {
        phase: 'Failed',
        message,
        resources: bad,
        leftToPrune: 0,
      });
    }
    status.operationState = state;
    return this.continue(pass, cmp);
  }

  /** Step 5 of a running operation: the next steps, with progress written while it applies. */
  async continue(pass: Pass, cmp: Comparison): Promise<SyncOutcome | undefined> {
    const state = pass.status.operationState as OperationState;
    const deps = this.syncDeps(pass);
    const target = this.target(pass.app, cmp);
    const stopTicker = this.progressTicker(pass, state, deps);
    const advanced = await (
      state.phase === 'Terminating'
        ? terminateSync(target, state, deps, 'user')
        : advanceSync(target, state, deps)
    ).finally(stopTicker);
    pass.status.operationState = advanced.state;
    if (!advanced.outcome) return undefined;
    if (advanced.outcome.phase === 'Failed')
      pass.status.operationState.retryCount = state.retryCount ?? 0;
    else delete pass.status.operationState.retryCount;
    return this.operationEnded(pass, cmp, advanced.outcome);
  }

  /**
   * A long step (thousands of objects) shows its progress in status: the latest message,
   * written at most every 2 s from the second 2 on, so quick steps cost no extra write.
   */
  private progressTicker(pass: Pass, state: OperationState, deps: SyncDeps): () => Promise<void> {
    let latest = state.message ?? '';
    let written = latest;
    const report = deps.onProgress;
    deps.onProgress = (m) => {
      latest = m;
      report?.(m);
    };
    const progress = this.progressWriter(pass);
    const timer = setInterval(() => {
      if (latest === written) return;
      written = latest;
      const base = this.deps.patcher.current(pass.app).status ?? {};
      const running: OperationState = {
        ...state,
        phase: 'Running',
        message: latest,
        // Bounded (results.ts): what earlier steps recorded survives a crash during this one.
        syncResult: state.syncResult ?? { revision: '', resources: [] },
      };
      progress.write({ ...base, operationState: running });
    }, 2000);
    return async () => {
      clearInterval(timer);
      pass.app = await progress.done();
    };
  }

  /** Progress writes that the reconcile's final write supersedes (progresswriter.ts). */
  progressWriter(pass: Pass): ProgressWriter {
    return new ProgressWriter(pass.app, this.deps.patcher, pass.kube);
  }

  /** The operation ended: inventory, history, and a manual request is cleared. */
  private async operationEnded(
    pass: Pass,
    cmp: Comparison,
    outcome: SyncOutcome,
  ): Promise<SyncOutcome> {
    const { app, status } = pass;
    const op = status.operationState as OperationState;
    // `recent` stays: the app's health is judged on it until the watch cache catches up.
    writeInventory(status, nextInventory(cmp, outcome));
    // A request that came while an automated sync ran is not that sync: it stays, and runs next.
    const asked = startedFromRequest(app);
    const manual = asked || op.initiatedBy !== 'automated';
    // History records deployments: a new revision, or what a person asked for (not self-heal).
    if (
      outcome.phase === 'Succeeded' &&
      (manual || status.history?.at(-1)?.revision !== cmp.revision)
    )
      status.history = appendHistory(
        app,
        status,
        cmp.revision,
        op.initiatedBy ?? 'automated',
        this.now(),
      );
    if (app.operation && asked) {
      // History first: clearing the request makes a version of the app a reconcile may start
      // from; it must already hold this operation's entry (else that reconcile would record the
      // deployment again, as "automated").
      await this.write(pass);
      await this.deps.patcher.patch(pass.kube, app, { operation: null });
    }
    return outcome;
  }
}

/**
 * Whether the operation ending in this pass was started from the request in `app.operation`:
 * one started in an earlier pass says so in its saved progress; one started in this pass was
 * started for the request if there is one (a request always wins over automated sync).
 */
function startedFromRequest(app: Application): boolean {
  const saved = app.status?.operationState;
  if (isRunning(saved) && saved.progress) return saved.progress.manual;
  return app.operation?.sync !== undefined;
}
