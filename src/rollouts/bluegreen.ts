/**
 * The blue-green strategy as a pure decision, with Argo Rollouts' semantics (REFERENCE §2): the
 * new version starts beside the active one (at `previewReplicaCount`, default full size) behind
 * the preview Service; once it is available it is promoted — at once (`autoPromotionEnabled`,
 * default true), after `autoPromotionSeconds`, or by `sluice rollout promote` — by scaling it to
 * full size and switching the active Service's selector to its pod-template hash. The old version
 * stays up `scaleDownDelaySeconds` (default 30) so clients with open connections drain, then goes
 * to 0. Abort switches the active Service back at once (the old pods are still up: nothing has
 * been scaled down before promotion) and scales the preview down after the abort delay.
 *
 * Analysis: `prePromotionAnalysis` runs once the preview is up and must succeed before any
 * promotion (automatic or by hand); `postPromotionAnalysis` runs once the active Service has
 * switched, with the old version still at full size — the new one becomes stable only when it
 * succeeds, and a failure switches the active Service straight back (onerror.ts has the verdicts).
 */
import type { Rollout, RolloutStatus } from '../api/rollout.ts';
import type { ReplicaSetInfo } from './canary.ts';
import { judgeRun, onErrorOf, runRef } from './onerror.ts';
import type { StepRun } from './runs.ts';

export interface BlueGreenInput {
  rollout: Rollout;
  newHash: string;
  /** Each with the time (ms) it may be scaled to 0, when the controller set one. */
  sets: ReadonlyArray<ReplicaSetInfo & { scaleDownAt?: number }>;
  now: number;
  /** The new revision's pre- and post-promotion AnalysisRuns, once started. */
  preRun?: StepRun;
  postRun?: StepRun;
}

export interface BlueGreenPlan {
  replicas: Map<string, number>;
  /** Scale-down times to record on ReplicaSets (null: clear). */
  scaleDownAt: Map<string, number | null>;
  /** Pod-template hash each Service must select. */
  activeSelector: string;
  previewSelector: string | undefined;
  status: RolloutStatus;
  requeueAfterMs?: number;
  /** The analysis whose AnalysisRun must be created now, and its attempt. */
  startAnalysis?: 'prePromotion' | 'postPromotion';
  attempt?: number;
}

const PAUSE_REASON = 'BlueGreenPause';
const DEFAULT_SCALE_DOWN_S = 30;

/** The old ReplicaSets (not active, not new): kept until their scale-down time, then 0. */
function scaleDownOld(
  input: BlueGreenInput,
  keep: ReadonlySet<string>,
  delayMs: number,
  plan: Pick<BlueGreenPlan, 'replicas' | 'scaleDownAt'>,
): number | undefined {
  let next: number | undefined;
  for (const s of input.sets) {
    if (keep.has(s.hash) || s.replicas === 0) continue;
    const at = s.scaleDownAt ?? input.now + delayMs;
    if (s.scaleDownAt === undefined) plan.scaleDownAt.set(s.hash, at);
    if (input.now >= at) plan.replicas.set(s.hash, 0);
    else next = Math.min(next ?? Infinity, at - input.now);
  }
  return next;
}

function baseStatus(input: BlueGreenInput): RolloutStatus {
  return {
    ...input.rollout.status,
    observedGeneration: String(input.rollout.metadata.generation ?? ''),
    currentPodHash: input.newHash,
  };
}

interface Ctx {
  input: BlueGreenInput;
  bg: NonNullable<Rollout['spec']['strategy']['blueGreen']>;
  n: number;
  delayMs: number;
  mine: (ReplicaSetInfo & { scaleDownAt?: number }) | undefined;
}

/** The first version, or the template is the active one: full size, active, old ones drained. */
function settled(c: Ctx, plan: BlueGreenPlan, status: RolloutStatus): BlueGreenPlan {
  const { newHash } = c.input;
  const available = c.mine?.availableReplicas ?? 0;
  plan.replicas.set(newHash, c.n);
  plan.scaleDownAt.set(newHash, null);
  plan.activeSelector = newHash;
  const wait = scaleDownOld(c.input, new Set([newHash]), c.delayMs, plan);
  const done = available >= c.n;
  const { abortedAt: _gone, ...rest } = status;
  plan.status = {
    ...rest,
    stableRS: newHash,
    abort: false,
    pauseConditions: [],
    controllerPause: false,
    promoteFull: false,
    phase: done ? 'Healthy' : 'Progressing',
    message: done ? '' : `waiting for ${c.n - available} more active pods`,
    blueGreen: {
      activeSelector: newHash,
      ...(c.bg.previewService ? { previewSelector: newHash } : {}),
    },
  };
  if (wait !== undefined) plan.requeueAfterMs = wait;
  return plan;
}

/** A new version beside the active one: preview, wait for the gate, promote. */
function previewing(
  c: Ctx,
  plan: BlueGreenPlan,
  status: RolloutStatus,
  active: string,
): BlueGreenPlan {
  const { newHash } = c.input;
  const available = c.mine?.availableReplicas ?? 0;
  const preview = c.bg.previewReplicaCount ?? c.n;
  plan.replicas.set(newHash, Math.max(preview, c.mine?.replicas ?? 0));
  plan.scaleDownAt.set(newHash, null);
  if (available < preview) {
    plan.status = progressing(
      status,
      active,
      newHash,
      `preview: ${available} of ${preview} pods available`,
    );
    return plan;
  }
  const pre = analysisGate(c, plan, status, active, 'prePromotion');
  if (pre !== 'passed') return pre;
  const gate = promotionGate(c.input, status);
  if (!gate.promote) {
    plan.status = {
      ...gate.status,
      phase: 'Paused',
      message: gate.message,
      blueGreen: selectors(active, newHash),
    };
    if (gate.requeueAfterMs !== undefined) plan.requeueAfterMs = gate.requeueAfterMs;
    return plan;
  }
  // Promote: full size first, then the active Service switches.
  plan.replicas.set(newHash, c.n);
  if (available < c.n) {
    const message = `promoting: ${available} of ${c.n} pods available`;
    // The checkpoint keeps the promotion going until it is done, whatever started it.
    plan.status = progressing(gate.status, active, newHash, message, true);
    return plan;
  }
  if (c.bg.postPromotionAnalysis) {
    // The active Service moves now; the old version stays up until the analysis says so.
    plan.activeSelector = newHash;
    const post = analysisGate(
      c,
      plan,
      { ...gate.status, blueGreen: selectors(newHash, newHash, true) },
      active,
      'postPromotion',
    );
    if (post !== 'passed') {
      plan.status = {
        ...plan.status,
        blueGreen: {
          ...plan.status.blueGreen,
          activeSelector: newHash,
          scaleUpPreviewCheckPoint: true,
        },
      };
      return plan;
    }
  }
  return settled(c, plan, { ...gate.status, stableRS: newHash });
}

const RUN_NAMES = {
  prePromotion: 'pre-promotion analysis',
  postPromotion: 'post-promotion analysis',
};

/** promote --full, or a promotion already under way, skips the pre-promotion analysis (as Argo). */
function skips(c: Ctx, status: RolloutStatus, slot: 'prePromotion' | 'postPromotion'): boolean {
  const analysis = c.bg[slot === 'prePromotion' ? 'prePromotionAnalysis' : 'postPromotionAnalysis'];
  if (!analysis) return true;
  return (
    slot === 'prePromotion' &&
    (status.promoteFull === true || status.blueGreen?.scaleUpPreviewCheckPoint === true)
  );
}

/**
 * A pre- or post-promotion analysis: 'passed' (or none configured), or the plan that waits for
 * it, holds, or aborts.
 */
function analysisGate(
  c: Ctx,
  plan: BlueGreenPlan,
  status: RolloutStatus,
  active: string,
  slot: 'prePromotion' | 'postPromotion',
): BlueGreenPlan | 'passed' {
  if (skips(c, status, slot)) return 'passed';
  const pre = slot === 'prePromotion';
  const run = pre ? c.input.preRun : c.input.postRun;
  const v = judgeRun(
    run,
    onErrorOf(pre ? c.bg.prePromotionAnalysis : c.bg.postPromotionAnalysis),
    RUN_NAMES[slot],
  );
  if (v.kind === 'passed') return 'passed';
  const field = pre ? 'prePromotionAnalysisRunStatus' : 'postPromotionAnalysisRunStatus';
  const withRef: RolloutStatus = {
    ...status,
    blueGreen: {
      ...selectors(active, c.input.newHash),
      ...status.blueGreen,
      ...(run ? { [field]: runRef(run) } : {}),
    },
  };
  if (v.kind === 'abort') {
    return aborted(c.input, plan, { ...withRef, abort: true, message: v.message }, active);
  }
  if (v.kind === 'start' || v.kind === 'running') return waiting(plan, withRef, slot, v);
  const held = holdFor(c.input, withRef, v.reason);
  if (!held.released) {
    plan.status = { ...held.status, phase: 'Paused', message: v.message };
    return plan;
  }
  if (!v.retry) return 'passed';
  plan.status = {
    ...held.status,
    phase: 'Progressing',
    message: `${RUN_NAMES[slot]}: measuring again`,
  };
  plan.startAnalysis = slot;
  plan.attempt = (run?.attempt ?? 1) + 1;
  return plan;
}

/** Waiting for an analysis: starting its run, or while it measures. */
function waiting(
  plan: BlueGreenPlan,
  status: RolloutStatus,
  slot: 'prePromotion' | 'postPromotion',
  v: { kind: 'start' } | { kind: 'running'; message: string },
): BlueGreenPlan {
  const starting = v.kind === 'start';
  plan.status = {
    ...status,
    phase: 'Progressing',
    message: v.kind === 'start' ? `${RUN_NAMES[slot]}: starting` : v.message,
  };
  if (starting) plan.startAnalysis = slot;
  return plan;
}

/** A hold until promoted: started now, still on, or released by `sluice rollout promote`. */
function holdFor(
  input: BlueGreenInput,
  status: RolloutStatus,
  reason: string,
): { released: boolean; status: RolloutStatus } {
  const cond = (status.pauseConditions ?? []).find((p) => p.reason === reason);
  if (cond) return { released: false, status };
  if (status.controllerPause)
    return { released: true, status: { ...status, controllerPause: false } };
  const startTime = new Date(input.now).toISOString();
  return {
    released: false,
    status: {
      ...status,
      controllerPause: true,
      pauseConditions: [...(status.pauseConditions ?? []), { reason, startTime }],
    },
  };
}

export function planBlueGreen(input: BlueGreenInput): BlueGreenPlan {
  const { rollout, newHash } = input;
  const bg = rollout.spec.strategy.blueGreen!;
  const c: Ctx = {
    input,
    bg,
    n: rollout.spec.replicas ?? 1,
    delayMs: (bg.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_S) * 1000,
    mine: input.sets.find((s) => s.hash === newHash),
  };
  let status = baseStatus(input);
  const active = status.stableRS;
  const plan: BlueGreenPlan = {
    replicas: new Map(input.sets.map((s) => [s.hash, s.replicas])),
    scaleDownAt: new Map(),
    activeSelector: active ?? newHash,
    previewSelector: bg.previewService ? newHash : undefined,
    status,
  };
  if (!active || active === newHash || !input.sets.some((s) => s.hash === active)) {
    return settled(c, plan, status);
  }
  // A new revision: from the start (not paused, not aborted, no promotion under way).
  if (rollout.status?.currentPodHash !== newHash) {
    const { abortedAt: _gone, blueGreen: _bg, ...rest } = status;
    status = { ...rest, abort: false, pauseConditions: [], controllerPause: false };
  }
  plan.replicas.set(active, c.n);
  plan.scaleDownAt.set(active, null);
  if (status.abort) return aborted(input, plan, status, active);
  return previewing(c, plan, status, active);
}

type BlueGreenStatus = NonNullable<RolloutStatus['blueGreen']>;

function selectors(active: string, preview: string, promoting = false): BlueGreenStatus {
  return {
    activeSelector: active,
    previewSelector: preview,
    ...(promoting ? { scaleUpPreviewCheckPoint: true } : {}),
  };
}

function progressing(
  status: RolloutStatus,
  active: string,
  preview: string,
  message: string,
  promoting = false,
): RolloutStatus {
  const blueGreen = selectors(active, preview, promoting);
  return { ...status, phase: 'Progressing', message, blueGreen };
}

interface Gate {
  promote: boolean;
  status: RolloutStatus;
  message: string;
  requeueAfterMs?: number;
}

/** Whether the preview may be promoted now: automatically, after a delay, or by a person. */
function promotionGate(input: BlueGreenInput, status: RolloutStatus): Gate {
  const bg = input.rollout.spec.strategy.blueGreen!;
  // A promotion under way (the new pods scaling up to full size) goes on.
  if (status.blueGreen?.scaleUpPreviewCheckPoint) return { promote: true, status, message: '' };
  if (status.promoteFull)
    return { promote: true, status: { ...status, promoteFull: false }, message: '' };
  if (input.rollout.spec.paused)
    return { promote: false, status, message: 'paused by `sluice rollout pause`' };
  const cond = (status.pauseConditions ?? []).find((c) => c.reason === PAUSE_REASON);
  const auto = bg.autoPromotionEnabled !== false;
  if (auto && bg.autoPromotionSeconds === undefined) return { promote: true, status, message: '' };
  if (!cond) {
    // Paused before and the condition is gone: promoted by a person.
    if (status.controllerPause)
      return { promote: true, status: { ...status, controllerPause: false }, message: '' };
    const started = new Date(input.now).toISOString();
    const paused = {
      ...status,
      controllerPause: true,
      pauseConditions: [
        ...(status.pauseConditions ?? []),
        { reason: PAUSE_REASON, startTime: started },
      ],
    };
    return waitGate(input, paused, input.now);
  }
  return waitGate(input, status, Date.parse(cond.startTime));
}

function waitGate(input: BlueGreenInput, status: RolloutStatus, started: number): Gate {
  const bg = input.rollout.spec.strategy.blueGreen!;
  if (bg.autoPromotionEnabled === false || bg.autoPromotionSeconds === undefined) {
    return {
      promote: false,
      status,
      message: 'the preview is ready: promote it with `sluice rollout promote`',
    };
  }
  const at = started + bg.autoPromotionSeconds * 1000;
  if (input.now >= at) {
    const pauseConditions = (status.pauseConditions ?? []).filter((c) => c.reason !== PAUSE_REASON);
    return {
      promote: true,
      status: { ...status, pauseConditions, controllerPause: false },
      message: '',
    };
  }
  return {
    promote: false,
    status,
    message: `promoting automatically in ${Math.ceil((at - input.now) / 1000)}s`,
    requeueAfterMs: at - input.now,
  };
}

function aborted(
  input: BlueGreenInput,
  plan: BlueGreenPlan,
  status: RolloutStatus,
  active: string,
): BlueGreenPlan {
  const bg = input.rollout.spec.strategy.blueGreen!;
  const abortedAt = Date.parse(status.abortedAt ?? '') || input.now;
  const at = abortedAt + (bg.abortScaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_S) * 1000;
  if (input.now >= at) plan.replicas.set(input.newHash, 0);
  else plan.requeueAfterMs = at - input.now;
  plan.activeSelector = active;
  plan.replicas.set(active, input.rollout.spec.replicas ?? 1);
  const done = 'the active Service is back on the stable version';
  const why = status.message?.startsWith('RolloutAborted:') ? undefined : status.message;
  plan.status = {
    ...status,
    abortedAt: status.abortedAt ?? new Date(input.now).toISOString(),
    phase: 'Degraded',
    message: why
      ? `RolloutAborted: ${why}; ${done}`
      : (status.message ?? `RolloutAborted: ${done}`),
    blueGreen: { ...status.blueGreen, ...selectors(active, input.newHash) },
  };
  return plan;
}
