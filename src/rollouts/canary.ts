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
 * (rollouts #3941), then scales the canary down (with a router, after `abortScaleDownDelaySeconds`;
 * 0 keeps it, as Argo). The step
 * walk itself is steps.ts.
 */
import type { Rollout, RolloutStatus } from '../api/rollout.ts';
import { resolveIntOrPercent } from './ratio.ts';
import type { StepRun } from './runs.ts';
import {
  currentWeight,
  durationMs,
  judgeAndWalk,
  makeWalk,
  type WalkResult,
  type Walk,
} from './steps.ts';

export { currentWeight, durationMs };

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

const DEFAULT_ABORT_DELAY_S = 30;

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
  // As Argo: the delay applies only with a traffic router (0: never scale the canary down);
  // by pod share the canary goes as soon as the stable pods are back.
  let scaleDownAt = abortedAt;
  if (input.router) {
    const delay = delaySeconds ?? DEFAULT_ABORT_DELAY_S;
    scaleDownAt = delay === 0 ? Infinity : abortedAt + delay * 1000;
  }
  return {
    n: input.rollout.spec.replicas ?? 1,
    stableAvailable: input.sets.find((s) => s.hash === stableHash)?.availableReplicas ?? 0,
    revision: input.sets.find((s) => s.hash === input.newHash)?.revision,
    scaleDownAt,
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
  else if (stableUp && scaleDownAt !== Infinity) requeueAfterMs = scaleDownAt - now;
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
