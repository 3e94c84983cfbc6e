/**
 * Step 5: bring the cluster to the plan. Hooks and waves, after Argo CD:
 *
 * ```
 * validate (every dry-run passed, else apply nothing)
 * CreateNamespace
 * PreSync hooks            (by wave; a failure fails the sync)
 * Sync: for each wave      Namespaces + CRDs first (wait Established), then the rest in kind
 *                          order with bounded concurrency; Sync hooks of that wave; wait for the
 *                          wave to settle before the next one
 * prune                    (unless PruneLast)
 * PostSync hooks           (after everything is healthy)
 * prune                    (PruneLast)
 * SyncFail hooks           (only when something above failed)
 * ```
 * Only out-of-sync objects are applied; the others are reported `unchanged`.
 */
import type { Application, HookType, InventoryEntry, ResourceResult } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { mapLimit } from '../util/semaphore.ts';
import { FIELD_MANAGER, MANAGED_LABEL, parseOptions, optionEnabled } from './annotations.ts';
import { hashObject, liveFingerprint, type DiffCache, type ResourceDiff } from './diff.ts';
import { runHook } from './hooks.ts';
import { inventoryEntry } from './compare.ts';
import { byWave, isStageZero } from './order.ts';
import type { DesiredResource, Plan } from './preflight.ts';
import { pruneOne, type PropagationPolicy } from './prune.ts';
import { waitSettled } from './wait.ts';

export interface SyncRequest {
  app: Application;
  plan: Plan;
  diffs: ReadonlyMap<string, ResourceDiff>;
  revision: string;
  prune: boolean;
  pruneCandidates: readonly InventoryEntry[];
  kube: Kube;
  /** How long one hook or one wave may take to settle. */
  waitTimeoutMs: number;
  concurrency?: number;
  /** Seeded with every apply's result. */
  diffCache?: DiffCache;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface SyncOutcome {
  phase: 'Succeeded' | 'Failed';
  message: string;
  resources: ResourceResult[];
}

function result(
  r: DesiredResource,
  action: ResourceResult['action'],
  message: string,
): ResourceResult {
  return { ...inventoryEntry(r), action, message, syncWave: r.wave };
}

class SyncRun {
  readonly results: ResourceResult[] = [];
  failure: string | undefined;
  private readonly req: SyncRequest;
  private readonly policy: PropagationPolicy;

  constructor(req: SyncRequest) {
    this.req = req;
    const p = parseOptions(req.app.spec.syncPolicy?.syncOptions ?? [])
      .get('PrunePropagationPolicy')
      ?.toLowerCase();
    this.policy = p === 'foreground' ? 'Foreground' : p === 'orphan' ? 'Orphan' : 'Background';
  }

  private fail(message: string): void {
    this.failure ??= message;
  }

  private progress(message: string): void {
    this.req.onProgress?.(message);
  }

  /** Every object of the revision passed its dry-run; otherwise nothing is applied. */
  validate(): boolean {
    const bad = this.req.plan.resources.filter((r) => this.req.diffs.get(r.key)?.error);
    for (const r of bad)
      this.results.push(result(r, 'failed', this.req.diffs.get(r.key)?.error ?? ''));
    if (bad.length > 0) {
      this.fail(
        `${bad.length} object(s) failed validation (server-side dry-run); nothing was applied: ${bad.map((r) => this.req.diffs.get(r.key)?.error).join('; ')}`,
      );
      return false;
    }
    return true;
  }

  async createNamespaces(): Promise<void> {
    for (const ns of this.req.plan.createNamespaces) {
      const obj: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { [MANAGED_LABEL]: 'true' } },
      };
      if (await this.req.kube.get('v1', 'Namespace', undefined, ns)) continue;
      try {
        await this.req.kube.apply(obj, { fieldManager: FIELD_MANAGER });
        this.progress(`created Namespace/${ns} (CreateNamespace=true)`);
      } catch (err) {
        this.fail(`could not create Namespace/${ns}: ${errorMessage(err)}`);
      }
    }
  }

  async hooks(type: HookType): Promise<void> {
    const hooks = this.req.plan.hooks.filter((h) => h.hooks?.includes(type));
    for (const { items } of byWave(hooks)) {
      for (const h of items) {
        this.progress(`running ${type} hook ${formatRef(h.ref)}`);
        const run = await runHook(this.req.kube, h, type, this.req.waitTimeoutMs, this.req.signal);
        this.results.push(run.result);
        if (!run.ok) {
          this.fail(run.result.message ?? `${type} hook failed`);
          return;
        }
      }
    }
  }

  private async applyOne(r: DesiredResource): Promise<ResourceResult> {
    const diff = this.req.diffs.get(r.key);
    if (diff?.inSync) return result(r, 'unchanged', 'in sync');
    try {
      const applied = await this.req.kube.apply(r.object, {
        fieldManager: FIELD_MANAGER,
        force: true,
      });
      // What apply returned is what a dry-run of the same object would predict: remember it, so
      // the reconcile that the resulting watch event triggers needs no dry-run.
      this.req.diffCache?.store(r.key, hashObject(r.object), liveFingerprint(applied), applied);
      return result(
        r,
        diff?.live ? 'configured' : 'created',
        diff?.live ? 'configured' : 'created',
      );
    } catch (err) {
      return result(r, 'failed', errorMessage(err));
    }
  }

  private async settle(applied: readonly DesiredResource[]): Promise<void> {
    await mapLimit(applied, this.req.concurrency ?? 8, async (r) => {
      const outcome = await waitSettled(
        this.req.kube,
        r.object,
        this.req.waitTimeoutMs,
        this.req.signal,
      );
      if (outcome.status === 'Degraded' || outcome.status === 'Timeout') {
        this.fail(
          `${formatRef(r.ref)} did not become healthy: ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`,
        );
      }
    });
  }

  async waves(): Promise<void> {
    const { plan } = this.req;
    const syncHooks = plan.hooks.filter((h) => h.hooks?.includes('Sync'));
    const waves = byWave([...plan.resources, ...syncHooks]);
    for (const [i, { wave, items }] of waves.entries()) {
      const resources = items.filter((r) => !r.hooks);
      const stage0 = resources.filter(isStageZero);
      const rest = resources.filter((r) => !isStageZero(r));
      this.progress(`wave ${wave}: applying ${resources.length} object(s)`);
      const first = await mapLimit(stage0, this.req.concurrency ?? 8, (r) => this.applyOne(r));
      this.results.push(...first);
      const crds = stage0.filter(
        (r, j) => r.ref.kind === 'CustomResourceDefinition' && first[j]?.action !== 'unchanged',
      );
      if (crds.length > 0) {
        await this.settle(crds);
        this.req.kube.discovery.invalidate();
      }
      const out = await mapLimit(rest, this.req.concurrency ?? 8, (r) => this.applyOne(r));
      this.results.push(...out);
      const failed = [...first, ...out].filter((x) => x.action === 'failed');
      if (failed.length > 0)
        this.fail(
          `${failed.length} object(s) failed to apply: ${failed.map((f) => f.message).join('; ')}`,
        );
      if (this.failure) return;
      for (const h of items.filter((x) => x.hooks)) {
        const run = await runHook(
          this.req.kube,
          h,
          'Sync',
          this.req.waitTimeoutMs,
          this.req.signal,
        );
        this.results.push(run.result);
        if (!run.ok) return this.fail(run.result.message ?? 'Sync hook failed');
      }
      const later = i < waves.length - 1 || plan.hooks.some((h) => h.hooks?.includes('PostSync'));
      const changed = resources.filter((r) => !this.req.diffs.get(r.key)?.inSync);
      if (later && changed.length > 0) {
        this.progress(`wave ${wave}: waiting for ${changed.length} object(s) to become healthy`);
        await this.settle(changed);
        if (this.failure) return;
      }
    }
  }

  async prune(): Promise<void> {
    if (this.req.pruneCandidates.length === 0) return;
    if (!this.req.prune) {
      for (const c of this.req.pruneCandidates)
        this.results.push({
          ...c,
          action: 'pruneSkipped',
          message: 'no longer in Git; prune is off',
        });
      return;
    }
    this.progress(`pruning ${this.req.pruneCandidates.length} object(s)`);
    const app = { namespace: this.req.app.metadata.namespace, name: this.req.app.metadata.name };
    const out = await mapLimit(this.req.pruneCandidates, this.req.concurrency ?? 8, (c) =>
      pruneOne(this.req.kube, c, app, this.policy),
    );
    this.results.push(...out);
    const failed = out.filter((r) => r.action === 'failed');
    if (failed.length > 0)
      this.fail(
        `prune failed for ${failed.length} object(s): ${failed.map((f) => f.message).join('; ')}`,
      );
  }
}

export async function sync(req: SyncRequest): Promise<SyncOutcome> {
  const run = new SyncRun(req);
  if (!run.validate())
    return { phase: 'Failed', message: run.failure ?? 'validation failed', resources: run.results };
  const pruneLast = optionEnabled(
    parseOptions(req.app.spec.syncPolicy?.syncOptions ?? []),
    'PruneLast',
  );
  await run.createNamespaces();
  if (!run.failure) await run.hooks('PreSync');
  if (!run.failure) await run.waves();
  if (!run.failure && !pruneLast) await run.prune();
  if (!run.failure) await run.hooks('PostSync');
  if (!run.failure && pruneLast) await run.prune();
  if (run.failure) {
    await run.hooks('SyncFail');
    return { phase: 'Failed', message: run.failure, resources: run.results };
  }
  const counts = new Map<string, number>();
  for (const r of run.results) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const summary = [...counts.entries()].map(([a, n]) => `${n} ${a}`).join(', ');
  return {
    phase: 'Succeeded',
    message: `successfully synced (${summary || 'nothing to do'}) at ${req.revision.slice(0, 7)}`,
    resources: run.results,
  };
}
