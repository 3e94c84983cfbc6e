/**
 * Each strategy's plan, asked and carried out as far as the world outside the ReplicaSets goes:
 * canary points its Services at one version each and has the traffic routers carry the weight;
 * blue-green records scale-down times and switches its preview and active Services. The
 * controller (controller.ts) then scales the ReplicaSets and starts the AnalysisRuns the plan
 * asks for.
 */
import type { Rollout, RolloutStatus } from '../api/rollout.ts';
import type { Kube } from '../kube/api.ts';
import { planBlueGreen } from './bluegreen.ts';
import { planCanary, type CanaryPlan, type StepRun } from './canary.ts';
import type { References } from './references.ts';
import {
  FIELD_MANAGER,
  HASH_LABEL,
  replicaSetInfo,
  type ReplicaSet,
  SCALE_DOWN_ANNOTATION,
} from './replicasets.ts';
import type { RunSlot } from './runs.ts';
import {
  deleteCanaryIngress,
  hasTrafficRouter,
  headerRoutesAt,
  NginxRouter,
  reconcileTraffic,
  routersFor,
  scopeOf,
} from './traffic/index.ts';

/** What the strategy's plan says, whichever the strategy. */
export interface Plan {
  /** Desired spec.replicas by pod-template hash. */
  replicas: ReadonlyMap<string, number>;
  status: RolloutStatus;
  requeueAfterMs?: number;
  /** AnalysisRuns to create now, with their attempt. */
  start: Array<{ slot: RunSlot; attempt: number }>;
}

export interface PlanContext {
  kube: Kube;
  refs: References;
  /** The new revision's AnalysisRuns by slot (runs.ts). */
  runs: ReadonlyMap<RunSlot, StepRun>;
  now: number;
}

export async function planCanaryFor(
  ctx: PlanContext,
  ro: Rollout,
  newHash: string,
  sets: readonly ReplicaSet[],
): Promise<Plan> {
  const stepRuns = new Map<number, StepRun>();
  for (const [slot, run] of ctx.runs) if (typeof slot === 'number') stepRuns.set(slot, run);
  const backgroundRun = ctx.runs.get('background');
  const plan = planCanary({
    rollout: ro,
    newHash,
    sets: sets.map(replicaSetInfo),
    now: ctx.now,
    stepRuns,
    router: hasTrafficRouter(ro),
    ...(backgroundRun ? { backgroundRun } : {}),
  });
  await routeCanary(ctx, ro, newHash, plan);
  const start: Plan['start'] = [];
  if (plan.startAnalysis !== undefined) {
    start.push({ slot: plan.startAnalysis, attempt: plan.attempt ?? 1 });
  }
  if (plan.startBackground) {
    start.push({ slot: 'background', attempt: plan.backgroundAttempt ?? 1 });
  }
  return { ...plan, start };
}

/**
 * Points the canary's Services at one version each (stable at the stable hash, canary at the new
 * one; both at the stable one when no canary runs), then has the routers carry the plan's weight
 * and header routes. The routers move only after the Services, so a weight never reaches pods of
 * the wrong version.
 */
async function routeCanary(
  ctx: PlanContext,
  ro: Rollout,
  newHash: string,
  plan: CanaryPlan,
): Promise<void> {
  const canary = ro.spec.strategy.canary;
  const stableHash = plan.status.stableRS ?? newHash;
  const canaryHash =
    plan.status.phase === 'Degraded' || stableHash === newHash ? stableHash : newHash;
  if (canary?.stableService) {
    await ctx.refs.selectVersion(ctx.kube, ro, canary.stableService, stableHash);
  }
  if (canary?.canaryService) {
    await ctx.refs.selectVersion(ctx.kube, ro, canary.canaryService, canaryHash);
  }
  if (hasTrafficRouter(ro)) await route(ctx, ro, { stable: stableHash, canary: newHash }, plan);
}

/** Has the routers carry the plan's weight and header routes. */
async function route(
  ctx: PlanContext,
  ro: Rollout,
  hashes: { stable: string; canary: string },
  plan: CanaryPlan,
): Promise<void> {
  const complete = hashes.stable === hashes.canary;
  if (complete && settledBefore(ro, hashes.canary)) return;
  const scope = scopeOf(ro, hashes);
  const headerRoutes = complete ? [] : headerRoutesAt(ro, plan.status.currentStepIndex ?? 0);
  // Complete: the generated canary Ingress has nothing left to carry, so it goes (it is made
  // again by the next rollout); the other routers are set to 0 %.
  const routers = routersFor(ro, { kube: ctx.kube }).filter(
    (r) => !(complete && r instanceof NginxRouter),
  );
  await reconcileTraffic(routers, { ...scope, weight: plan.weight, headerRoutes });
  if (complete && ro.spec.strategy.canary?.trafficRouting?.nginx) {
    await deleteCanaryIngress(ctx.kube, ro);
  }
}

/** Settled since the last reconcile, routers already at 0 %: nothing to read or write. */
function settledBefore(ro: Rollout, newHash: string): boolean {
  const was = ro.status;
  return (
    was?.stableRS === newHash &&
    was.currentPodHash === newHash &&
    (was.canary?.weights?.canary.weight ?? 0) === 0
  );
}

export async function planBlueGreenFor(
  ctx: PlanContext,
  ro: Rollout,
  newHash: string,
  sets: readonly ReplicaSet[],
): Promise<Plan> {
  const bg = ro.spec.strategy.blueGreen!;
  const withDeadlines = sets.map((rs) => {
    const info = replicaSetInfo(rs);
    const at = Date.parse(rs.metadata.annotations?.[SCALE_DOWN_ANNOTATION] ?? '');
    return Number.isNaN(at) ? info : { ...info, scaleDownAt: at };
  });
  const preRun = ctx.runs.get('prePromotion');
  const postRun = ctx.runs.get('postPromotion');
  const plan = planBlueGreen({
    rollout: ro,
    newHash,
    sets: withDeadlines,
    now: ctx.now,
    ...(preRun ? { preRun } : {}),
    ...(postRun ? { postRun } : {}),
  });
  for (const rs of sets) {
    const at = plan.scaleDownAt.get(rs.metadata.labels?.[HASH_LABEL] ?? '');
    if (at === undefined) continue;
    const value = at === null ? null : new Date(at).toISOString();
    if ((rs.metadata.annotations?.[SCALE_DOWN_ANNOTATION] ?? null) === value) continue;
    await ctx.kube.mergePatch(
      rs,
      { metadata: { annotations: { [SCALE_DOWN_ANNOTATION]: value } } },
      { fieldManager: FIELD_MANAGER },
    );
  }
  // Preview first: the active Service moves last, once the pods behind it are up.
  if (bg.previewService && plan.previewSelector) {
    await ctx.refs.selectVersion(ctx.kube, ro, bg.previewService, plan.previewSelector);
  }
  await ctx.refs.selectVersion(ctx.kube, ro, bg.activeService, plan.activeSelector);
  const start: Plan['start'] = plan.startAnalysis
    ? [{ slot: plan.startAnalysis, attempt: plan.attempt ?? 1 }]
    : [];
  return { ...plan, start };
}
