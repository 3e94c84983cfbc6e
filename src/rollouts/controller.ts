/**
 * The Rollout controller: for each Rollout, the ReplicaSets it owns (one per pod-template hash),
 * sized by the strategy's plan (canary.ts), and its status. It plugs into the controller runtime
 * like the Application controller: a cache of Rollouts, a cache of their ReplicaSets (an event on
 * one queues its Rollout), one StatusPatcher writing status only when it changes, timers through
 * requeueAfter (a pause that ends, a scale-down delay) — no polling.
 *
 * Not yet here (issue 10, next): analysis steps and background analysis, traffic routers,
 * workloadRef, progress deadline.
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
import { planBlueGreen } from './bluegreen.ts';
import {
  AnalysisError,
  type AnalysisRunController,
  buildAnalysisRun,
  createAnalysisController,
  isCompleted,
  kubeLookup,
  loadTemplates,
  resolveArgs,
} from '../analysis/index.ts';
import {
  planCanary,
  validateCanary,
  type CanaryPlan,
  type ReplicaSetInfo,
  type StepRun,
} from './canary.ts';
import {
  hasTrafficRouter,
  headerRoutesAt,
  reconcileTraffic,
  routersFor,
  scopeOf,
  TrafficRouterError,
} from './traffic/index.ts';
import { podTemplateHash } from './hash.ts';
import { RolloutMetrics } from './metrics.ts';
import {
  HASH_LABEL,
  newReplicaSet,
  replicaSetInfo,
  type ReplicaSet,
  REVISION_ANNOTATION,
  SCALE_DOWN_ANNOTATION,
} from './replicasets.ts';

export const FIELD_MANAGER = 'sluice-rollouts';

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

export class RolloutController {
  readonly rollouts: Controller<Rollout, Flags>;
  /** One cache of ReplicaSets per watched namespace (or one for all). */
  private readonly sets: Informer<ReplicaSet>[];
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
  }

  /** Reconciles every Rollout once (POST /api/resync: benchmarks, debugging); returns how many. */
  resyncAll(): number {
    if (this.disabled || !this.rollouts.isLeading) return 0;
    const all = this.rollouts.list();
    for (const r of all) this.rollouts.enqueue(`${r.metadata.namespace}/${r.metadata.name}`);
    return all.length;
  }

  /** What of `list`/`watch` on rollouts and replicasets RBAC refuses, in the namespaces watched. */
  private async refusedAccess(): Promise<string[]> {
    const refused: string[] = [];
    for (const namespace of this.namespaces ?? [undefined]) {
      for (const [group, resource] of [
        ['sluice.dev', 'rollouts'],
        ['sluice.dev', 'analysisruns'],
        ['apps', 'replicasets'],
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
            refused.push(`${verb} ${resource}.${group} in ${namespace ?? 'all namespaces'}`);
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

  private async reconcileOnce(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.rollouts.get(req.namespace, req.name);
    if (!cached || cached.metadata.deletionTimestamp) return {};
    const ro = this.patcher.current(cached);
    const kube = this.kube.withSignal(req.signal);
    const invalid = this.invalid(ro);
    if (invalid) {
      await this.writeStatus(kube, ro, { ...ro.status, phase: 'Degraded', message: invalid }, [
        condition('InvalidSpec', true, 'InvalidSpec', invalid),
      ]);
      return {};
    }
    const missing = (await missingServices(kube, ro)) ?? (await missingTemplates(kube, ro));
    if (missing) {
      // The stable version keeps serving; nothing new starts until the Service exists.
      await this.writeStatus(kube, ro, { ...ro.status, phase: 'Degraded', message: missing }, [
        condition('InvalidSpec', true, 'ReferenceNotFound', missing),
      ]);
      return { requeueAfterMs: 10_000 };
    }
    const newHash = podTemplateHash(ro.spec.template, ro.status?.collisionCount ?? 0);
    const sets = await this.ensureNewSet(kube, ro, newHash);
    const infos = sets.map(replicaSetInfo);
    let plan;
    try {
      plan = await this.plan(kube, ro, newHash, sets, infos);
    } catch (err) {
      if (!(err instanceof TrafficRouterError)) throw err;
      // The router's objects are wrong or missing: say which, change nothing, look again soon.
      await this.writeStatus(kube, ro, { ...ro.status, phase: 'Degraded', message: err.message }, [
        condition('InvalidSpec', true, err.reason, err.message),
      ]);
      return { requeueAfterMs: 10_000 };
    }
    await scale(kube, sets, plan.replicas);
    await this.analyses(kube, ro, newHash, plan);
    // Aborted, or the new version is the stable one: nothing is left to judge.
    const over = plan.status.abort === true || plan.status.stableRS === newHash;
    await this.terminateStaleRuns(kube, ro, newHash, over);
    await this.pruneHistory(kube, ro, sets, plan.status.stableRS, newHash);
    await this.writeStatus(kube, ro, { ...plan.status, ...counts(ro, infos, newHash) }, [
      condition('InvalidSpec', false, 'Valid', ''),
      condition(
        'Healthy',
        plan.status.phase === 'Healthy',
        plan.status.phase ?? 'Progressing',
        plan.status.message ?? '',
      ),
    ]);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  /** The strategy's plan; blue-green also moves its Services and scale-down times. */
  private async plan(
    kube: Kube,
    ro: Rollout,
    newHash: string,
    sets: readonly ReplicaSet[],
    infos: readonly ReplicaSetInfo[],
  ): Promise<{
    replicas: ReadonlyMap<string, number>;
    status: RolloutStatus;
    requeueAfterMs?: number;
    startAnalysis?: number;
    startBackground?: boolean;
  }> {
    const now = this.now();
    const bg = ro.spec.strategy.blueGreen;
    if (!bg) {
      const stepRuns = this.stepRuns(ro, newHash);
      const backgroundRun = stepRuns.get(BACKGROUND_STEP);
      stepRuns.delete(BACKGROUND_STEP);
      const router = hasTrafficRouter(ro);
      const plan = planCanary({
        rollout: ro,
        newHash,
        sets: infos,
        now,
        stepRuns,
        router,
        ...(backgroundRun ? { backgroundRun } : {}),
      });
      await routeCanary(kube, ro, newHash, plan);
      return plan;
    }
    const withDeadlines = sets.map((rs, i) => {
      const at = Date.parse(rs.metadata.annotations?.[SCALE_DOWN_ANNOTATION] ?? '');
      return Number.isNaN(at) ? infos[i]! : { ...infos[i]!, scaleDownAt: at };
    });
    const plan = planBlueGreen({ rollout: ro, newHash, sets: withDeadlines, now });
    for (const rs of sets) {
      const at = plan.scaleDownAt.get(rs.metadata.labels?.[HASH_LABEL] ?? '');
      if (at === undefined) continue;
      const value = at === null ? null : new Date(at).toISOString();
      if ((rs.metadata.annotations?.[SCALE_DOWN_ANNOTATION] ?? null) === value) continue;
      await kube.mergePatch(
        rs,
        { metadata: { annotations: { [SCALE_DOWN_ANNOTATION]: value } } },
        {
          fieldManager: FIELD_MANAGER,
        },
      );
    }
    // Preview first: the active Service moves last, once the pods behind it are up.
    if (bg.previewService && plan.previewSelector) {
      await selectVersion(kube, ro, bg.previewService, plan.previewSelector);
    }
    await selectVersion(kube, ro, bg.activeService, plan.activeSelector);
    return plan;
  }

  /**
   * Runs still measuring an older revision, or any revision of an aborted rollout, are told to
   * stop (`spec.terminate`): their Jobs and queries would only judge what no longer matters.
   */
  private async terminateStaleRuns(
    kube: Kube,
    ro: Rollout,
    hash: string,
    aborted: boolean,
  ): Promise<void> {
    for (const run of this.analysis.list()) {
      if (run.metadata.namespace !== ro.metadata.namespace) continue;
      if (!(run.metadata.ownerReferences ?? []).some((r) => r.uid === ro.metadata.uid)) continue;
      if (isCompleted(run.status?.phase) || run.spec.terminate) continue;
      if (!aborted && run.metadata.labels?.[HASH_LABEL] === hash) continue;
      await kube.mergePatch(run, { spec: { terminate: true } }, { fieldManager: FIELD_MANAGER });
    }
  }

  /** Starts the runs the plan asks for: the current analysis step's, the background one. */
  private async analyses(
    kube: Kube,
    ro: Rollout,
    hash: string,
    plan: { status: RolloutStatus; startAnalysis?: number; startBackground?: boolean },
  ): Promise<void> {
    const stable = plan.status.stableRS;
    if (plan.startAnalysis !== undefined) {
      await startStepAnalysis(kube, ro, hash, plan.startAnalysis, stable);
    }
    if (plan.startBackground) await startStepAnalysis(kube, ro, hash, 'background', stable);
  }

  /** The runs of the new revision's analysis steps, by step index (from the run cache). */
  private stepRuns(ro: Rollout, hash: string): Map<number, StepRun> {
    const runs = new Map<number, StepRun>();
    for (const run of this.analysis.list()) {
      if (run.metadata.namespace !== ro.metadata.namespace) continue;
      if (!(run.metadata.ownerReferences ?? []).some((r) => r.uid === ro.metadata.uid)) continue;
      if (run.metadata.labels?.[HASH_LABEL] !== hash) continue;
      const label = run.metadata.labels?.[STEP_LABEL];
      const step = label === 'background' ? BACKGROUND_STEP : Number(label ?? NaN);
      if (Number.isNaN(step)) continue;
      runs.set(step, {
        name: run.metadata.name,
        phase: run.status?.phase,
        message: run.status?.message,
      });
    }
    return runs;
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
    if (ro.spec.workloadRef) return 'workloadRef is not supported yet: give the Rollout a template';
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

/**
 * Points the canary's Services at one version each (stable at the stable hash, canary at the new
 * one; both at the stable one when no canary runs), then has the routers carry the plan's weight
 * and header routes. The routers move only after the Services, so a weight never reaches pods of
 * the wrong version.
 */
async function routeCanary(
  kube: Kube,
  ro: Rollout,
  newHash: string,
  plan: CanaryPlan,
): Promise<void> {
  const canary = ro.spec.strategy.canary;
  const stableHash = plan.status.stableRS ?? newHash;
  const canaryHash =
    plan.status.phase === 'Degraded' || stableHash === newHash ? stableHash : newHash;
  if (canary?.stableService) await selectVersion(kube, ro, canary.stableService, stableHash);
  if (canary?.canaryService) await selectVersion(kube, ro, canary.canaryService, canaryHash);
  if (!hasTrafficRouter(ro)) return;
  const scope = scopeOf(ro, { stable: stableHash, canary: newHash });
  const headerRoutes =
    stableHash === newHash ? [] : headerRoutesAt(ro, plan.status.currentStepIndex ?? 0);
  await reconcileTraffic(routersFor(ro, { kube }), { ...scope, weight: plan.weight, headerRoutes });
}

/** The label telling which canary step an AnalysisRun judges. */
export const STEP_LABEL = 'sluice.dev/rollout-step';

/** The step index the background analysis is filed under among the step runs. */
const BACKGROUND_STEP = -1;

/** Creates the AnalysisRun of a canary analysis step, or the background one (idempotent). */
async function startStepAnalysis(
  kube: Kube,
  ro: Rollout,
  hash: string,
  index: number | 'background',
  stableHash: string | undefined,
): Promise<void> {
  const canary = ro.spec.strategy.canary;
  const step = index === 'background' ? canary?.analysis : canary?.steps?.[index]?.analysis;
  if (!step) return;
  const templates = await loadTemplates(kubeLookup(kube), ro.metadata.namespace, step.templates);
  const run = buildAnalysisRun({
    rollout: {
      name: ro.metadata.name,
      namespace: ro.metadata.namespace,
      uid: ro.metadata.uid ?? '',
    },
    templates,
    args: resolveArgs(step.args, { stableHash, latestHash: hash, rollout: ro }),
    labels: { [HASH_LABEL]: hash, [STEP_LABEL]: String(index) },
    name: `${ro.metadata.name}-${hash}-${index === 'background' ? 'bg' : index}`,
  });
  try {
    await kube.create(run, { fieldManager: FIELD_MANAGER });
  } catch (err) {
    if ((err as { status?: number }).status !== 409) throw err;
  }
}

/** An AnalysisTemplate the strategy names that does not exist, as a message, or undefined. */
async function missingTemplates(kube: Kube, ro: Rollout): Promise<string | undefined> {
  const canary = ro.spec.strategy.canary;
  const refs = [
    ...(canary?.steps ?? []).flatMap((s) => s.analysis?.templates ?? []),
    ...(canary?.analysis?.templates ?? []),
  ];
  if (refs.length === 0) return undefined;
  try {
    await loadTemplates(kubeLookup(kube), ro.metadata.namespace, refs);
    return undefined;
  } catch (err) {
    if (err instanceof AnalysisError) return err.message;
    throw err;
  }
}

/** The Services the strategy names that do not exist, as a message, or undefined. */
async function missingServices(kube: Kube, ro: Rollout): Promise<string | undefined> {
  const { canary, blueGreen } = ro.spec.strategy;
  const named: Array<[string, string | undefined]> = [
    ['blueGreen.activeService', blueGreen?.activeService],
    ['blueGreen.previewService', blueGreen?.previewService],
    ['canary.stableService', canary?.stableService],
    ['canary.canaryService', canary?.canaryService],
  ];
  for (const [field, name] of named) {
    if (!name) continue;
    if (!(await kube.get('v1', 'Service', ro.metadata.namespace, name))) {
      return `Service "${name}" named in spec.strategy.${field} does not exist in namespace ${ro.metadata.namespace}`;
    }
  }
  return undefined;
}

/** Points a Service at one version: its selector gains the pod-template hash. */
async function selectVersion(
  kube: Kube,
  ro: Rollout,
  service: string,
  hash: string,
): Promise<void> {
  const svc = await kube.get<KubeObject & { spec?: { selector?: Record<string, string> } }>(
    'v1',
    'Service',
    ro.metadata.namespace,
    service,
  );
  if (!svc || svc.spec?.selector?.[HASH_LABEL] === hash) return;
  await kube.mergePatch(
    svc,
    { spec: { selector: { [HASH_LABEL]: hash } } },
    {
      fieldManager: FIELD_MANAGER,
    },
  );
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
