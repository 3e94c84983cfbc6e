/**
 * The Rollout controller: for each Rollout, the ReplicaSets it owns (one per pod-template hash),
 * sized by the strategy's plan (canary.ts), and its status. It plugs into the controller runtime
 * like the Application controller: a cache of Rollouts, a cache of their ReplicaSets (an event on
 * one queues its Rollout), one StatusPatcher writing status only when it changes, timers through
 * requeueAfter (a pause that ends, a scale-down delay, a progress deadline) — no polling.
 *
 * Around the plan: what the Rollout names outside itself (references.ts: Services, templates, a
 * workloadRef's Deployment — workload.ts), the AnalysisRuns it starts (runs.ts), the traffic
 * routers (traffic/), the progress deadline (progress.ts).
 */
import type { Rollout, RolloutCondition, RolloutStatus } from '../api/rollout.ts';
import { API_VERSION } from '../api/application.ts';
import { ROLLOUT_KIND } from '../api/rollout.ts';
import type { Kube } from '../kube/api.ts';
import { indexBy, Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import { Controller, type ReconcileRequest, type ReconcileResult } from '../runtime/controller.ts';
import { StatusPatcher } from '../runtime/patcher.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/log.ts';
import { createAnalysisController, type AnalysisRunController } from '../analysis/index.ts';
import { validateCanary, type ReplicaSetInfo } from './canary.ts';
import { TrafficRouterError } from './traffic/index.ts';
import { planBlueGreenFor, planCanaryFor, type Plan } from './strategies.ts';
import { podTemplateHash } from './hash.ts';
import { RolloutMetrics } from './metrics.ts';
import { progress } from './progress.ts';
import { type Deployment, missingTemplates, namedServices, References } from './references.ts';
import {
  FIELD_MANAGER,
  HASH_LABEL,
  newReplicaSet,
  replicaSetInfo,
  type ReplicaSet,
  REVISION_ANNOTATION,
} from './replicasets.ts';
import { RunBook, STEP_LABEL } from './runs.ts';
import { deploymentReplicas, resolveWorkload } from './workload.ts';

export { FIELD_MANAGER, STEP_LABEL };

type Flags = Record<string, never>;

export interface RolloutControllerOptions {
  kube: Kube;
  namespaces?: readonly string[];
  log: Logger;
  concurrency?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Status fields people and the CLI write that the controller must act on. */
function controlFields(r: Rollout | undefined): string {
  const s = r?.status;
  return JSON.stringify([s?.abort, s?.pauseConditions, s?.promoteFull, s?.controllerPause]);
}

function condition(type: string, ok: boolean, reason: string, message: string): RolloutCondition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** Conditions keep their lastTransitionTime while their status stays the same. */
function mergeConditions(
  old: readonly RolloutCondition[] | undefined,
  next: readonly RolloutCondition[],
  now: string,
): RolloutCondition[] {
  return next.map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    const same = prev?.status === c.status;
    return { ...c, lastTransitionTime: same ? (prev?.lastTransitionTime ?? now) : now };
  });
}

/** The keys a Rollout is found under by the Services and Deployment it names. */
function referenceKeys(ro: Rollout): string[] {
  const ns = ro.metadata.namespace;
  const keys = namedServices(ro).map(([, name]) => `Service/${ns}/${name}`);
  if (ro.spec.workloadRef) keys.push(`Deployment/${ns}/${ro.spec.workloadRef.name}`);
  return keys;
}

export class RolloutController {
  readonly rollouts: Controller<Rollout, Flags>;
  /** One cache of ReplicaSets per watched namespace (or one for all). */
  private readonly sets: Informer<ReplicaSet>[];
  private readonly refs: References;
  private readonly runs: RunBook;
  private readonly patcher = new StatusPatcher<RolloutStatus, Rollout>();
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly namespaces: readonly string[] | undefined;
  private disabled = false;
  readonly metrics = new RolloutMetrics();
  /** Measures the AnalysisRuns the Rollouts start (and any other); runs with this controller. */
  readonly analysis: AnalysisRunController;

  constructor(o: RolloutControllerOptions) {
    this.kube = o.kube;
    this.namespaces = o.namespaces;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.rollouts = new Controller<Rollout, Flags>({
      name: 'rollouts',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: ROLLOUT_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: o.concurrency ?? 10,
      indexes: { references: referenceKeys },
      filter: (type, obj, old) => {
        if (type !== 'modified' || !old) return type === 'added' ? {} : undefined;
        const spec = obj.metadata.generation !== old.metadata.generation;
        return spec || controlFields(obj) !== controlFields(old) ? {} : undefined;
      },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.analysis = createAnalysisController({
      kube: o.kube,
      log: o.log,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
    });
    this.runs = new RunBook(() => this.analysis.list());
    // A run that changes moves its Rollout on (or aborts it).
    this.analysis.onEvent((_type, run) => {
      for (const ref of run.metadata.ownerReferences ?? []) {
        if (ref.kind === ROLLOUT_KIND)
          this.rollouts.enqueue(`${run.metadata.namespace}/${ref.name}`);
      }
    });
    this.rollouts.onEvent((type, obj) => {
      this.patcher.observe(obj);
      if (type === 'deleted') this.metrics.forget(obj.metadata.namespace, obj.metadata.name);
      else this.metrics.observe(obj);
    });
    // A Service or Deployment that appears or changes wakes the Rollouts naming it.
    this.refs = new References(o.kube, o.namespaces, o.log, (kind, ns, name) => {
      for (const ro of this.rollouts.byIndex('references', `${kind}/${ns}/${name}`)) {
        this.rollouts.enqueue(`${ro.metadata.namespace}/${ro.metadata.name}`);
      }
    });
    this.sets = (o.namespaces ?? [undefined]).map((namespace) => {
      const inf = new Informer<ReplicaSet>(o.kube, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        ...(namespace ? { namespace } : {}),
        labelSelector: HASH_LABEL,
        onError: (err) =>
          this.log.warn('ReplicaSet watch failed; retrying', { error: errorMessage(err) }),
      });
      inf.addIndex('owner', indexBy.owner);
      inf.on((_type, rs) => {
        for (const ref of rs.metadata.ownerReferences ?? []) {
          if (ref.kind === ROLLOUT_KIND) {
            this.rollouts.enqueue(`${rs.metadata.namespace}/${ref.name}`);
          }
        }
      });
      return inf;
    });
  }

  /**
   * Starts the caches — unless RBAC does not let this controller watch Rollouts and their
   * ReplicaSets where it works: then it says so and stays off, so the rest of the Manager (the
   * Application controller) is not held up by a watch that can never start.
   */
  async start(): Promise<void> {
    const refused = await this.refusedAccess();
    if (refused.length > 0) {
      this.disabled = true;
      this.log.warn('the Rollout controller is off: RBAC refuses what it needs', {
        refused: refused.join(', '),
      });
      return;
    }
    await Promise.all([
      ...this.sets.map((i) => i.start()),
      this.refs.start(),
      this.rollouts.start(),
      this.analysis.start(),
    ]);
  }

  startLeading(leader: AbortSignal): void {
    if (this.disabled) return;
    this.rollouts.startLeading(leader);
    this.analysis.startLeading(leader);
  }

  async stop(): Promise<void> {
    if (this.disabled) return;
    await Promise.all([this.rollouts.stop(), this.analysis.stop()]);
    for (const i of this.sets) i.stop();
    this.refs.stop();
  }

  /** Reconciles every Rollout once (POST /api/resync: benchmarks, debugging); returns how many. */
  resyncAll(): number {
    if (this.disabled || !this.rollouts.isLeading) return 0;
    const all = this.rollouts.list();
    for (const r of all) this.rollouts.enqueue(`${r.metadata.namespace}/${r.metadata.name}`);
    return all.length;
  }

  /** What of `list`/`watch` on the kinds it caches RBAC refuses, in the namespaces watched. */
  private async refusedAccess(): Promise<string[]> {
    const refused: string[] = [];
    for (const namespace of this.namespaces ?? [undefined]) {
      for (const [group, resource] of [
        ['sluice.dev', 'rollouts'],
        ['sluice.dev', 'analysisruns'],
        ['apps', 'replicasets'],
        ['apps', 'deployments'],
        ['', 'services'],
        ['batch', 'jobs'],
      ] as const) {
        for (const verb of ['list', 'watch']) {
          const review = await this.kube.create<KubeObject & { status?: { allowed?: boolean } }>({
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            metadata: {},
            spec: {
              resourceAttributes: { group, resource, verb, ...(namespace ? { namespace } : {}) },
            },
          });
          if (!review.status?.allowed) {
            const what = group ? `${resource}.${group}` : resource;
            refused.push(`${verb} ${what} in ${namespace ?? 'all namespaces'}`);
          }
        }
      }
    }
    return refused;
  }

  private owned(ro: Rollout): ReplicaSet[] {
    return this.sets.flatMap((i) => i.byIndex('owner', ro.metadata.uid ?? ''));
  }

  async reconcile(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const end = this.metrics.reconcileSeconds.startTimer();
    try {
      return await this.reconcileOnce(req);
    } finally {
      end();
    }
  }

  /** A Rollout that cannot run: Degraded with the reason; nothing else is touched. */
  private async refuse(
    kube: Kube,
    ro: Rollout,
    reason: string,
    message: string,
  ): Promise<ReconcileResult> {
    await this.writeStatus(kube, ro, { ...ro.status, phase: 'Degraded', message }, [
      condition('InvalidSpec', true, reason, message),
    ]);
    // A missing object wakes the Rollout when it appears; look again anyway, now and then.
    return reason === 'InvalidSpec' ? {} : { requeueAfterMs: 10_000 };
  }

  /** The Rollout as it runs (its workloadRef resolved), or the refusal to run it. */
  private async resolve(
    kube: Kube,
    declared: Rollout,
  ): Promise<
    | { ro: Rollout; deployment: Deployment | undefined; newHash: string }
    | { refused: ReconcileResult }
  > {
    const resolved = resolveWorkload(declared, (ns, n) => this.refs.deployment(ns, n));
    const refuse = async (reason: string, message: string) => ({
      refused: await this.refuse(kube, declared, reason, message),
    });
    if ('invalid' in resolved) return refuse('InvalidSpec', resolved.invalid);
    if ('missing' in resolved) return refuse('ReferenceNotFound', resolved.missing);
    const ro = resolved.rollout;
    const invalid = this.invalid(ro);
    if (invalid) return refuse('InvalidSpec', invalid);
    const newHash = podTemplateHash(ro.spec.template, ro.status?.collisionCount ?? 0);
    // Templates matter only when there is something to judge: a settled Rollout reads nothing.
    const settled = ro.status?.stableRS === newHash && ro.status.currentPodHash === newHash;
    const missing =
      this.refs.missingService(ro) ?? (settled ? undefined : await missingTemplates(kube, ro));
    if (missing) return refuse('ReferenceNotFound', missing);
    return { ro, deployment: resolved.deployment, newHash };
  }

  private async reconcileOnce(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.rollouts.get(req.namespace, req.name);
    if (!cached || cached.metadata.deletionTimestamp) return {};
    const declared = this.patcher.current(cached);
    const kube = this.kube.withSignal(req.signal);
    const resolved = await this.resolve(kube, declared);
    if ('refused' in resolved) return resolved.refused;
    const { ro, newHash } = resolved;
    const sets = await this.ensureNewSet(kube, ro, newHash);
    let plan: Plan;
    try {
      plan = await this.plan(kube, ro, newHash, sets);
    } catch (err) {
      if (!(err instanceof TrafficRouterError)) throw err;
      // The router's objects are wrong or missing: say which, change nothing, look again soon.
      return this.refuse(kube, declared, err.reason, err.message);
    }
    await scale(kube, sets, plan.replicas);
    for (const s of plan.start) {
      await this.runs.start(kube, ro, newHash, s.slot, plan.status.stableRS, s.attempt);
    }
    // Aborted, or the new version is the stable one: nothing is left to judge.
    const over = plan.status.abort === true || plan.status.stableRS === newHash;
    await this.runs.terminateStale(kube, ro, newHash, over);
    await this.pruneHistory(kube, ro, sets, plan.status.stableRS, newHash);
    const infos = sets.map(replicaSetInfo);
    const status = { ...plan.status, ...counts(ro, infos, newHash) };
    await this.scaleDownWorkload(kube, ro, resolved.deployment, status);
    return this.finish(kube, declared, ro, status, plan, infos);
  }

  /** The progress deadline judged, the status written, the next look scheduled. */
  private async finish(
    kube: Kube,
    declared: Rollout,
    ro: Rollout,
    status: RolloutStatus,
    plan: Plan,
    infos: readonly ReplicaSetInfo[],
  ): Promise<ReconcileResult> {
    const deadline = progress({
      previous: ro.status,
      next: status,
      waitingForPods: waitingForPods(status, plan.replicas, infos),
      deadlineSeconds: ro.spec.progressDeadlineSeconds,
      now: this.now(),
    });
    const abort =
      deadline.exceeded &&
      ro.spec.progressDeadlineAbort === true &&
      !status.abort &&
      status.stableRS !== status.currentPodHash;
    if (deadline.exceeded) {
      status.phase = 'Degraded';
      status.message = deadline.condition.message ?? '';
    }
    // progressDeadlineAbort: the stable version takes everything back (at once, next reconcile).
    if (abort) {
      status.abort = true;
      status.abortedAt = new Date(this.now()).toISOString();
    }
    await this.writeStatus(kube, declared, status, [
      condition('InvalidSpec', false, 'Valid', ''),
      deadline.condition,
      condition(
        'Healthy',
        status.phase === 'Healthy',
        status.phase ?? 'Progressing',
        status.message ?? '',
      ),
    ]);
    if (abort) return { requeueAfterMs: 1 };
    const after = [plan.requeueAfterMs, deadline.requeueAfterMs].filter(
      (x): x is number => x !== undefined,
    );
    return after.length > 0 ? { requeueAfterMs: Math.min(...after) } : {};
  }

  /** A workloadRef's Deployment goes down as its `scaleDown` says. */
  private async scaleDownWorkload(
    kube: Kube,
    ro: Rollout,
    dep: Deployment | undefined,
    status: RolloutStatus,
  ): Promise<void> {
    if (!dep) return;
    const want = deploymentReplicas(
      ro,
      dep,
      status.availableReplicas ?? 0,
      status.phase === 'Healthy',
    );
    if (want === undefined) return;
    await kube.mergePatch(dep, { spec: { replicas: want } }, { fieldManager: FIELD_MANAGER });
  }

  /** The strategy's plan, with its Services, routers and scale-down times moved. */
  private plan(
    kube: Kube,
    ro: Rollout,
    newHash: string,
    sets: readonly ReplicaSet[],
  ): Promise<Plan> {
    const ctx = { kube, refs: this.refs, runs: this.runs.runsOf(ro, newHash), now: this.now() };
    return ro.spec.strategy.blueGreen
      ? planBlueGreenFor(ctx, ro, newHash, sets)
      : planCanaryFor(ctx, ro, newHash, sets);
  }

  /** The owned ReplicaSets, with one for the current template (created at 0 replicas). */
  private async ensureNewSet(kube: Kube, ro: Rollout, hash: string): Promise<ReplicaSet[]> {
    const sets = this.owned(ro);
    if (sets.some((s) => s.metadata.labels?.[HASH_LABEL] === hash)) return sets;
    const created = await kube.create<ReplicaSet>(newReplicaSet(ro, hash, nextRevision(sets)), {
      fieldManager: FIELD_MANAGER,
    });
    return [...sets, created];
  }

  private invalid(ro: Rollout): string | undefined {
    if (!ro.spec.template) return 'spec.template is missing: a Rollout needs a pod template';
    const { canary, blueGreen } = ro.spec.strategy;
    if (!canary && !blueGreen) return 'spec.strategy needs canary or blueGreen';
    if (canary && blueGreen) return 'spec.strategy has both canary and blueGreen: choose one';
    const labels = (ro.spec.template as { metadata?: { labels?: Record<string, string> } }).metadata
      ?.labels;
    const match = (ro.spec.selector as { matchLabels?: Record<string, string> } | undefined)
      ?.matchLabels;
    if (!match || Object.keys(match).length === 0) return 'spec.selector.matchLabels is missing';
    for (const [k, v] of Object.entries(match)) {
      if (labels?.[k] !== v) {
        return `spec.selector does not match the template's labels (${k}=${v} missing)`;
      }
    }
    return validateCanary(ro);
  }

  /** Keeps `revisionHistoryLimit` old ReplicaSets at 0 replicas; never the stable or the new one. */
  private async pruneHistory(
    kube: Kube,
    ro: Rollout,
    sets: readonly ReplicaSet[],
    stable: string | undefined,
    newHash: string,
  ): Promise<void> {
    const limit = ro.spec.revisionHistoryLimit ?? 10;
    const old = sets
      .filter((s) => {
        const h = s.metadata.labels?.[HASH_LABEL];
        return (
          h !== stable &&
          h !== newHash &&
          (s.spec?.replicas ?? 0) === 0 &&
          (s.status?.replicas ?? 0) === 0
        );
      })
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of old.slice(0, Math.max(0, old.length - limit))) {
      await kube.delete(rs);
    }
  }

  private async writeStatus(
    kube: Kube,
    ro: Rollout,
    status: RolloutStatus,
    conditions: RolloutCondition[],
  ): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const next = { ...status, conditions: mergeConditions(ro.status?.conditions, conditions, now) };
    await this.patcher.patchStatus(kube, ro, next);
  }
}

/** The rollout is waiting for pods: some ReplicaSet has fewer available than it should have. */
function waitingForPods(
  status: RolloutStatus,
  want: ReadonlyMap<string, number>,
  infos: readonly ReplicaSetInfo[],
): boolean {
  if (status.phase !== 'Progressing' && status.phase !== 'Degraded') return false;
  return infos.some((s) => s.availableReplicas < (want.get(s.hash) ?? s.replicas));
}

/** Sets each ReplicaSet's spec.replicas to the plan's, writing only those that differ. */
async function scale(
  kube: Kube,
  sets: readonly ReplicaSet[],
  want: ReadonlyMap<string, number>,
): Promise<void> {
  for (const rs of sets) {
    const n = want.get(rs.metadata.labels?.[HASH_LABEL] ?? '');
    if (n !== undefined && n !== (rs.spec?.replicas ?? 0)) {
      await kube.mergePatch(rs, { spec: { replicas: n } }, { fieldManager: FIELD_MANAGER });
    }
  }
}

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);
}

function nextRevision(sets: readonly ReplicaSet[]): number {
  return sets.reduce((m, s) => Math.max(m, revisionOf(s)), 0) + 1;
}

/** The replica counts of the status, as Deployments report them. */
function counts(
  ro: Rollout,
  sets: readonly ReplicaSetInfo[],
  newHash: string,
): Partial<RolloutStatus> {
  const all = sets.reduce((n, s) => n + s.replicas, 0);
  const available = sets.reduce((n, s) => n + s.availableReplicas, 0);
  const updated = sets.find((s) => s.hash === newHash);
  const match =
    (ro.spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  return {
    replicas: all,
    updatedReplicas: updated?.replicas ?? 0,
    availableReplicas: available,
    readyReplicas: available,
    selector: Object.entries(match)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  };
}
