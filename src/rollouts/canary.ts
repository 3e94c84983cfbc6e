/**
 * The canary strategy as a pure decision: from a Rollout, its ReplicaSets and the time, what
 * each ReplicaSet's size should be, which weight the canary gets, and the Rollout's next status.
 * The controller (controller.ts) reads the world, calls `planCanary`, and writes what it says.
 *
 * Semantics are Argo Rollouts' (REFERENCE §2): steps run in order — `setWeight` waits until the
 * pods of the new weight are available, `pause: {duration}` waits that long, `pause: {}` waits
 * for `promote` (which clears `status.pauseConditions`); after the last step the canary becomes
 * stable. A new revision mid-rollout starts again at step 0. `status.abort` puts the stable
 * ReplicaSet back to full size first, and only once it is available moves the weight back to 0 %
 * (rollouts #3941), then scales the canary down after `abortScaleDownDelaySeconds`.
 */
import type { CanaryStep, Rollout, RolloutStatus } from '../api/rollout.ts';
import { resolveIntOrPercent, weightedCounts } from './ratio.ts';
import type { StepRun } from './runs.ts';
import { ERROR_PAUSE_REASON, judgeRun, onErrorOf, runRef } from './onerror.ts';

export interface ReplicaSetInfo {
  name: string;
  hash: string;
  revision: number;
  /** spec.replicas */
  replicas: number;
  availableReplicas: number;
}

export interface CanaryInput {
  rollout: Rollout;
  /** Hash of the Rollout's current pod template. */
  newHash: string;
  sets: readonly ReplicaSetInfo[];
  now: number;
  /** The AnalysisRuns of the new revision's analysis steps, by step index. */
  stepRuns?: ReadonlyMap<number, StepRun>;
  /** The new revision's background AnalysisRun (`canary.analysis`), if started. */
  backgroundRun?: StepRun;
  /** The Rollout has a traffic router (Ingress NGINX, Gateway API): weights are the router's. */
  router?: boolean;
}

export type { StepRun };

export interface CanaryPlan {
  /** Desired spec.replicas by pod-template hash (every owned ReplicaSet appears). */
  replicas: Map<string, number>;
  /** The canary's share of traffic, 0-100 (by pods without a router). */
  weight: number;
  status: RolloutStatus;
  /** Reconcile again after this long (a pause or a scale-down delay ends). */
  requeueAfterMs?: number;
  /** The analysis step whose AnalysisRun must be created now (and its attempt). */
  startAnalysis?: number;
  /** The background analysis must be started now. */
  startBackground?: boolean;
  /** The attempt of the run to start (2 and up after `onError: Pause` and a promote). */
  attempt?: number;
  backgroundAttempt?: number;
}

const PAUSE_REASON = 'CanaryPauseStep';
const DEFAULT_ABORT_DELAY_S = 30;

/** `30s`, `10m`, `1h`, or a number of seconds. */
export function durationMs(d: number | string | undefined): number | undefined {
  if (d === undefined) return undefined;
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+)(ms|s|m|h)?$/.exec(d.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n : n * { s: 1000, m: 60_000, h: 3_600_000 }[unit as 's' | 'm' | 'h'];
}

/** The weight in force at step `index`: the last setWeight before it (0 before any). */
export function currentWeight(steps: readonly CanaryStep[], index: number): number {
  let w = 0;
  for (let i = 0; i < Math.min(index, steps.length); i++) {
    const s = steps[i]?.setWeight;
    if (s !== undefined) w = s;
  }
  return w;
}

/** What is wrong with the strategy, as a message, or undefined. */
export function validateCanary(rollout: Rollout): string | undefined {
  const canary = rollout.spec.strategy.canary;
  if (!canary) return undefined;
  const n = rollout.spec.replicas ?? 1;
  const surge = resolveIntOrPercent(canary.maxSurge, n, '25%', true);
  const unavailable = resolveIntOrPercent(canary.maxUnavailable, n, '25%', false);
  if (surge === 0 && unavailable === 0) {
    return 'maxSurge and maxUnavailable cannot both be 0: the rollout could never move a pod';
  }
  for (const [i, step] of (canary.steps ?? []).entries()) {
    if (step.setWeight !== undefined && (step.setWeight < 0 || step.setWeight > 100)) {
      return `steps[${i}].setWeight ${step.setWeight} is outside 0-100`;
    }
    if (step.pause?.duration !== undefined && durationMs(step.pause.duration) === undefined) {
      return `steps[${i}].pause.duration "${String(step.pause.duration)}" is not a duration (30s, 10m, 1h or seconds)`;
    }
    if (step.experiment) return `steps[${i}]: experiment steps are not supported by Sluice`;
  }
  return undefined;
}

interface Sizes {
  canary: number;
  stable: number;
}

/** One move towards `target` within the rolling limits (surge up, keep enough available). */
function roll(
  target: Sizes,
  current: Sizes,
  canaryAvailable: number,
  n: number,
  surge: number,
  unavailable: number,
): Sizes {
  const canary =
    target.canary > current.canary
      ? Math.min(target.canary, Math.max(current.canary, n + surge - current.stable))
      : target.canary;
  const minAvailable = n - unavailable;
  const stable =
    target.stable < current.stable
      ? Math.max(target.stable, Math.min(current.stable, minAvailable - canaryAvailable))
      : target.stable;
  return { canary, stable };
}

function baseStatus(input: CanaryInput): RolloutStatus {
  const { rollout } = input;
  const st = rollout.status ?? {};
  return {
    ...st,
    observedGeneration: String(rollout.metadata.generation ?? ''),
    currentPodHash: input.newHash,
  };
}

/**
 * Steady state: the template is the stable one. The others go to 0 as fast as the new pods'
 * availability allows (never below replicas - maxUnavailable available pods).
 */
function steady(input: CanaryInput, status: RolloutStatus): CanaryPlan {
  const { rollout } = input;
  const n = rollout.spec.replicas ?? 1;
  const unavailable = resolveIntOrPercent(
    rollout.spec.strategy.canary?.maxUnavailable,
    n,
    '25%',
    false,
  );
  const mine = input.sets.find((s) => s.hash === input.newHash);
  const replicas = new Map<string, number>([[input.newHash, n]]);
  let keep = Math.max(0, n - unavailable - (mine?.availableReplicas ?? 0));
  const others = input.sets
    .filter((s) => s.hash !== input.newHash)
    .sort((a, b) => b.revision - a.revision);
  for (const o of others) {
    const k = Math.min(o.replicas, keep);
    replicas.set(o.hash, k);
    keep -= k;
  }
  const done = (mine?.availableReplicas ?? 0) >= n && others.every((o) => o.replicas === 0);
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  return {
    replicas,
    weight: 0,
    status: {
      ...status,
      stableRS: input.newHash,
      currentStepIndex: steps.length,
      abort: false,
      pauseConditions: [],
      controllerPause: false,
      promoteFull: false,
      phase: done ? 'Healthy' : 'Progressing',
      message: done
        ? ''
        : `waiting for the rollout to finish: ${mine?.availableReplicas ?? 0} of ${n} new pods available`,
      canary: {
        weights: {
          canary: { weight: 0, podTemplateHash: input.newHash },
          stable: { weight: 100, podTemplateHash: input.newHash },
        },
      },
    },
  };
}

function abortMessage(
  revision: number | undefined,
  previous: string | undefined,
  wait: string,
): string {
  // The reason (an analysis that failed...) stays across reconciles; the waiting part does not.
  const kept = /^RolloutAborted: update to revision \S+ aborted( \(.*\))?(;|$)/.exec(
    previous ?? '',
  );
  const why = kept ? (kept[1] ?? '') : previous ? ` (${previous})` : '';
  return `RolloutAborted: update to revision ${revision ?? '?'} aborted${why}${wait}`;
}

function abortFacts(input: CanaryInput, status: RolloutStatus, stableHash: string) {
  const abortedAt = Date.parse(status.abortedAt ?? '') || input.now;
  const delaySeconds = input.rollout.spec.strategy.canary?.abortScaleDownDelaySeconds;
  return {
    n: input.rollout.spec.replicas ?? 1,
    stableAvailable: input.sets.find((s) => s.hash === stableHash)?.availableReplicas ?? 0,
    revision: input.sets.find((s) => s.hash === input.newHash)?.revision,
    scaleDownAt: abortedAt + (delaySeconds ?? DEFAULT_ABORT_DELAY_S) * 1000,
  };
}

function aborted(input: CanaryInput, status: RolloutStatus, stableHash: string): CanaryPlan {
  const { rollout, now } = input;
  const { n, stableAvailable, revision, scaleDownAt } = abortFacts(input, status, stableHash);
  const replicas = new Map<string, number>(input.sets.map((s) => [s.hash, s.replicas]));
  replicas.set(stableHash, n);
  const stableUp = stableAvailable >= n;
  let requeueAfterMs: number | undefined;
  if (stableUp && now >= scaleDownAt) replicas.set(input.newHash, 0);
  else if (stableUp) requeueAfterMs = scaleDownAt - now;
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  const wait = stableUp
    ? ''
    : `; waiting for the stable pods (${stableAvailable} of ${n} available)`;
  // Traffic moves back only once the stable pods can take it.
  const weight = stableUp ? 0 : currentWeight(steps, status.currentStepIndex ?? 0);
  return {
    replicas,
    weight,
    status: {
      ...status,
      abortedAt: status.abortedAt ?? new Date(now).toISOString(),
      phase: 'Degraded',
      message: abortMessage(revision, status.message, wait),
      canary: {
        ...status.canary,
        weights: {
          canary: { weight, podTemplateHash: input.newHash },
          stable: { weight: 100 - weight, podTemplateHash: stableHash },
        },
      },
    },
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}

interface StepWalk {
  index: number;
  status: RolloutStatus;
  requeueAfterMs?: number;
  /** Why the walk stopped before the end. */
  waiting?: string;
}

/** Pause step: start it, or see it released (promote) or expired. */
function pauseStep(
  step: CanaryStep,
  status: RolloutStatus,
  now: number,
  reason = PAUSE_REASON,
): StepWalk & { done: boolean } {
  const index = status.currentStepIndex ?? 0;
  const cond = (status.pauseConditions ?? []).find((c) => c.reason === reason);
  if (!cond) {
    // Paused by us before and the condition is gone: `promote` released it.
    if (status.controllerPause) {
      return { done: true, index, status: { ...status, controllerPause: false } };
    }
    const started = new Date(now).toISOString();
    return {
      done: false,
      index,
      status: {
        ...status,
        controllerPause: true,
        pauseConditions: [...(status.pauseConditions ?? []), { reason, startTime: started }],
      },
      ...pauseWait(step, now, now),
    };
  }
  const ms = durationMs(step.pause?.duration);
  const started = Date.parse(cond.startTime);
  if (ms !== undefined && now >= started + ms) {
    return {
      done: true,
      index,
      status: {
        ...status,
        controllerPause: false,
        pauseConditions: (status.pauseConditions ?? []).filter((c) => c.reason !== reason),
      },
    };
  }
  return { done: false, index, status, ...pauseWait(step, started, now) };
}

function pauseWait(step: CanaryStep, started: number, now: number): Partial<StepWalk> {
  const ms = durationMs(step.pause?.duration);
  if (ms === undefined) return { waiting: 'paused until promoted (`sluice rollout promote`)' };
  return {
    waiting: `paused for ${Math.ceil((started + ms - now) / 1000)}s more`,
    requeueAfterMs: Math.max(1, started + ms - now),
  };
}

/** Everything the step walk needs, computed once. */
interface Walk {
  input: CanaryInput;
  steps: readonly CanaryStep[];
  n: number;
  surge: number;
  unavailable: number;
  newRs: ReplicaSetInfo | undefined;
  stableRs: ReplicaSetInfo | undefined;
  /** A traffic router sets the weight: the stable version stays at full size... */
  router: boolean;
  /** ...unless `dynamicStableScale` shrinks it as traffic leaves it. */
  dynamic: boolean;
}

/**
 * The pods each version needs at a step. By pod share without a router; with one, the stable
 * version keeps every pod and the canary gets its share of `replicas` (or what the last
 * `setCanaryScale` says), as Argo does.
 */
function targetAt(w: Walk, index: number, weight: number): Sizes {
  if (!w.router) return weightedCounts(w.n, weight, w.surge);
  let scale: { replicas?: number; weight?: number } | undefined;
  for (const step of w.steps.slice(0, index + 1)) {
    const s = step.setCanaryScale;
    if (s) scale = s.matchTrafficWeight ? undefined : s;
  }
  const canary = scale?.replicas ?? Math.ceil((w.n * (scale?.weight ?? weight)) / 100);
  // dynamicStableScale: the stable version gives up the pods of the traffic already moved away
  // (the weight in force before this step), never those of traffic it still serves.
  const routed = currentWeight(w.steps, index);
  const stable = w.dynamic ? Math.ceil((w.n * (100 - routed)) / 100) : w.n;
  return { canary: Math.min(canary, w.n), stable };
}

/** setWeight: done once both ReplicaSets are at the weight's sizes and the canary is available. */
function weightReached(w: Walk, target: Sizes, sizes: Sizes): boolean {
  return (
    sizes.canary === target.canary &&
    sizes.stable === target.stable &&
    (w.newRs?.replicas ?? 0) === target.canary &&
    (w.newRs?.availableReplicas ?? 0) >= target.canary &&
    (w.stableRs?.replicas ?? 0) === target.stable
  );
}

interface WalkResult {
  index: number;
  status: RolloutStatus;
  sizes: Sizes;
  waiting?: string;
  requeueAfterMs?: number;
  startAnalysis?: number;
  /** An analysis failed: abort with this message. */
  abortWith?: string;
  /** The current setWeight's pods are not all up yet: the router keeps the previous weight. */
  weightPending?: boolean;
  /** Paused or held before the step started: the previous weight stays. */
  frozen?: boolean;
  startBackground?: boolean;
  /** The attempt of the step run to start. */
  attempt?: number;
  backgroundAttempt?: number;
}

/**
 * An analysis step (see onerror.ts): Successful goes on, Failed aborts, Error aborts or holds
 * (`onError: Pause`), Inconclusive holds until promoted; no run yet: start one.
 */
function analysisStep(w: Walk, r: WalkResult): WalkResult | 'done' {
  const run = w.input.stepRuns?.get(r.index);
  const analysis = w.steps[r.index]?.analysis;
  const v = judgeRun(run, onErrorOf(analysis), 'analysis run');
  if (v.kind === 'start') {
    return {
      ...r,
      waiting: `analysis: starting a run for step ${r.index}`,
      startAnalysis: r.index,
    };
  }
  const status = {
    ...r.status,
    canary: { ...r.status.canary, currentStepAnalysisRunStatus: runRef(run!) },
  };
  if (v.kind === 'passed') return 'done';
  if (v.kind === 'abort') return { ...r, status, abortWith: v.message };
  if (v.kind === 'running') return { ...r, status, waiting: v.message };
  const p = pauseStep({ pause: {} }, status, w.input.now, v.reason);
  if (!p.done) return { ...r, status: p.status, waiting: v.message };
  if (!v.retry) {
    r.status = p.status; // released: the walk goes on from here
    return 'done';
  }
  // Promoted while held by an error: measure again.
  const attempt = run!.attempt + 1;
  return {
    ...r,
    status: p.status,
    waiting: `analysis: measuring step ${r.index} again`,
    startAnalysis: r.index,
    attempt,
  };
}

/** Paused by a person, or held by an analysis in Error: the step does not start. */
function blocked(w: Walk, step: CanaryStep, status: RolloutStatus): boolean {
  return w.input.rollout.spec.paused === true || (heldByError(status) && !step.analysis);
}

/** A rollout held by an analysis in Error (`onError: Pause`) moves no step until promoted. */
function heldByError(status: RolloutStatus): boolean {
  return (status.pauseConditions ?? []).some((c) => c.reason === ERROR_PAUSE_REASON);
}

/** Runs the steps from the current one until one has to wait (or all are done). */
function walkSteps(w: Walk, start: WalkResult): WalkResult {
  let { index, status, sizes } = start;
  const { steps } = w;
  while (index < steps.length) {
    const step = steps[index]!;
    // Paused or held: the weight in force stays, the step's own is not started.
    const frozen = blocked(w, step, status);
    const next = !frozen && step.setWeight !== undefined ? 1 : 0;
    const weight = currentWeight(steps, index + next);
    const target = targetAt(w, index, weight);
    sizes = w.router
      ? target
      : roll(target, sizes, w.newRs?.availableReplicas ?? 0, w.n, w.surge, w.unavailable);
    const at: WalkResult = { index, status, sizes };
    const r = runStep(w, step, at, target, start.waiting);
    if (r !== 'done') return r;
    // setCanaryScale and setHeaderRoute only matter with a traffic router.
    index++;
    status = { ...at.status, currentStepIndex: index };
  }
  return { index, status, sizes };
}

/** One step at `r.index`: done, or where the rollout waits. */
function runStep(
  w: Walk,
  step: CanaryStep,
  r: WalkResult,
  target: Sizes,
  heldMessage: string | undefined,
): WalkResult | 'done' {
  if (w.input.rollout.spec.paused) {
    return { ...r, frozen: true, waiting: 'paused by `sluice rollout pause` (spec.paused)' };
  }
  if (blocked(w, step, r.status)) {
    return { ...r, frozen: true, waiting: heldMessage ?? 'held: an analysis is in Error' };
  }
  if (step.setWeight !== undefined && !weightReached(w, target, r.sizes)) {
    const waiting = `setWeight ${step.setWeight}: ${w.newRs?.availableReplicas ?? 0} of ${target.canary} canary pods available`;
    // With a router, traffic moves only once the pods to take it are up.
    return { ...r, waiting, weightPending: true };
  }
  if (step.pause) {
    const p = pauseStep(step, { ...r.status, currentStepIndex: r.index }, w.input.now);
    r.status = p.status;
    if (!p.done) return { ...r, ...pick(p) };
  }
  if (step.analysis) return analysisStep(w, r);
  return 'done';
}

function pick(p: StepWalk): Pick<WalkResult, 'waiting' | 'requeueAfterMs'> {
  return {
    ...(p.waiting !== undefined ? { waiting: p.waiting } : {}),
    ...(p.requeueAfterMs !== undefined ? { requeueAfterMs: p.requeueAfterMs } : {}),
  };
}

/** A rollout between two versions, waiting at a step. */
function inProgress(w: Walk, r: WalkResult, stableHash: string): CanaryPlan {
  const { input, steps } = w;
  const replicas = new Map<string, number>(input.sets.map((s) => [s.hash, 0]));
  replicas.set(stableHash, r.sizes.stable);
  replicas.set(input.newHash, r.sizes.canary);
  const stepWeight = currentWeight(
    steps,
    r.index + (steps[r.index]?.setWeight !== undefined ? 1 : 0),
  );
  const held = r.frozen === true || (w.router && r.weightPending === true);
  const weight = held ? currentWeight(steps, r.index) : stepWeight;
  const paused = input.rollout.spec.paused === true || (r.status.pauseConditions ?? []).length > 0;
  return {
    replicas,
    weight,
    status: {
      ...r.status,
      currentStepIndex: r.index,
      phase: paused ? 'Paused' : 'Progressing',
      message: r.waiting ?? '',
      canary: {
        ...r.status.canary,
        weights: {
          canary: { weight, podTemplateHash: input.newHash },
          stable: { weight: 100 - weight, podTemplateHash: stableHash },
        },
      },
    },
    ...(r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : {}),
    ...(r.startAnalysis !== undefined ? { startAnalysis: r.startAnalysis } : {}),
    ...(r.startBackground ? { startBackground: true } : {}),
    ...(r.attempt ? { attempt: r.attempt } : {}),
    ...(r.backgroundAttempt ? { backgroundAttempt: r.backgroundAttempt } : {}),
  };
}

/**
 * Background analysis (`canary.analysis`), from `startingStep` on, beside the steps: a run that
 * fails (or errs, unless `onError: Pause` holds the rollout) aborts it; one measuring blocks
 * nothing.
 */
function background(w: Walk, r: WalkResult): WalkResult {
  const bg = w.input.rollout.spec.strategy.canary?.analysis;
  if (!bg || r.abortWith || r.index < (bg.startingStep ?? 0)) return r;
  const run = w.input.backgroundRun;
  const v = judgeRun(run, onErrorOf(bg), 'background analysis run');
  if (v.kind === 'start') return { ...r, startBackground: true };
  const status = {
    ...r.status,
    canary: { ...r.status.canary, currentBackgroundAnalysisRunStatus: runRef(run!) },
  };
  if (v.kind === 'abort') return { ...r, status, abortWith: v.message };
  if (v.kind !== 'hold') return { ...r, status };
  const p = pauseStep({ pause: {} }, status, w.input.now, v.reason);
  if (!p.done) return { ...r, status: p.status, waiting: v.message };
  if (!v.retry) return { ...r, status: p.status };
  return { ...r, status: p.status, startBackground: true, backgroundAttempt: run!.attempt + 1 };
}

/** The background analysis has no run yet and the steps have reached its `startingStep`. */
function startsBackground(w: Walk, r: WalkResult): boolean {
  const bg = w.input.rollout.spec.strategy.canary?.analysis;
  return !!bg && !w.input.backgroundRun && !r.abortWith && r.index >= (bg.startingStep ?? 0);
}

/** The status of a rollout whose template changed since the last reconcile: from step 0. */
function restarted(status: RolloutStatus): RolloutStatus {
  const { abortedAt: _gone, ...rest } = status;
  return {
    ...rest,
    currentStepIndex: 0,
    pauseConditions: [],
    controllerPause: false,
    abort: false,
  };
}

function makeWalk(input: CanaryInput, stableHash: string): Walk {
  const canary = input.rollout.spec.strategy.canary ?? {};
  const n = input.rollout.spec.replicas ?? 1;
  return {
    input,
    steps: canary.steps ?? [],
    n,
    surge: resolveIntOrPercent(canary.maxSurge, n, '25%', true),
    unavailable: resolveIntOrPercent(canary.maxUnavailable, n, '25%', false),
    newRs: input.sets.find((s) => s.hash === input.newHash),
    stableRs: input.sets.find((s) => s.hash === stableHash),
    router: input.router === true,
    dynamic: input.router === true && canary.dynamicStableScale === true,
  };
}

/** The background analysis first (a failure aborts, an error may hold the steps), then the steps. */
function judgeAndWalk(w: Walk, start: WalkResult): WalkResult {
  const held = background(w, start);
  if (held.abortWith) return held;
  const walked = walkSteps(w, held);
  return {
    ...walked,
    ...(held.startBackground || startsBackground(w, walked) ? { startBackground: true } : {}),
    ...(held.backgroundAttempt ? { backgroundAttempt: held.backgroundAttempt } : {}),
  };
}

export function planCanary(input: CanaryInput): CanaryPlan {
  const { rollout } = input;
  let status = baseStatus(input);
  const stableHash = status.stableRS;
  // First version, or the stable ReplicaSet is gone: nothing to compare against, go straight.
  const hasStable = input.sets.some((s) => s.hash === stableHash);
  if (!stableHash || !hasStable || stableHash === input.newHash) return steady(input, status);
  // A new revision (also one that arrives mid-rollout or after an abort) starts from step 0.
  if (rollout.status?.currentPodHash !== input.newHash) status = restarted(status);
  if (status.abort) return aborted(input, status, stableHash);
  const w = makeWalk(input, stableHash);
  const start = status.promoteFull ? w.steps.length : (status.currentStepIndex ?? 0);
  const sizes = { canary: w.newRs?.replicas ?? 0, stable: w.stableRs?.replicas ?? w.n };
  const r = judgeAndWalk(w, { index: start, status, sizes });
  if (r.abortWith) {
    const abortedAt = new Date(input.now).toISOString();
    return aborted(
      input,
      { ...r.status, abort: true, abortedAt, message: r.abortWith },
      stableHash,
    );
  }
  // Every step done: the canary becomes the stable version.
  if (r.index >= w.steps.length) {
    return steady(input, {
      ...r.status,
      currentStepIndex: w.steps.length,
      stableRS: input.newHash,
    });
  }
  return inProgress(w, r, stableHash);
}
