/**
 * A sync as a step machine (after gitops-engine's SyncContext). Where a sync is lives in
 * `status.operationState.progress`; each reconcile asks `nextStep` what to do next, performs it
 * (sync.ts), records the result in the progress, and asks again, until the answer is "wait"
 * (a hook or a wave is still running: the watch will wake us) or "finish".
 *
 * ```
 * PreSync hooks, wave by wave          a failed hook -> SyncFail
 * Sync, wave by wave:                  apply Namespaces + CRDs, wait until CRDs are Established,
 *                                      apply the rest, run the wave's Sync hooks, then (when a
 *                                      later wave or PostSync follows) wait until every object of
 *                                      the wave is healthy
 * Prune                                (PruneLast: after PostSync instead)
 * PostSync hooks, wave by wave
 * SyncFail hooks (only after a failure), then the operation ends Failed
 * ```
 *
 * This file is pure: what the cluster looks like comes in as a `SyncView`; it never performs
 * I/O, so every transition is unit-tested, including resuming from any saved step.
 */
import type {
  Application,
  HealthStatus,
  OperationState,
  HookRecord,
  HookType,
  SyncProgress,
  SyncStage,
} from '../api/application.ts';
import { formatRef } from '../kube/types.ts';
import { byWave, isStageZero } from './order.ts';
import type { DesiredResource, Plan } from './preflight.ts';
import { someOf } from './summary.ts';

/** What the step machine needs to know about the cluster, read from the watch cache. */
export interface SyncView {
  plan: Plan;
  /** Health of a desired object's live copy (by `DesiredResource.key`). */
  health: (key: string) => { status: HealthStatus; message?: string };
  /** CRDs of this revision the API server does not serve yet (by key). */
  crdEstablished: (key: string) => boolean;
  pruneLast: boolean;
  /** Current time (ms) and how long one wait may last. */
  now: number;
  waitTimeoutMs: number;
}

/** What to do next. */
export type Step =
  | { type: 'apply'; wave: number; resources: DesiredResource[]; stage0: boolean }
  | { type: 'startHooks'; hookType: HookType; hooks: DesiredResource[] }
  | { type: 'prune' }
  | { type: 'wait'; message: string }
  | { type: 'finish'; phase: 'Succeeded' | 'Failed'; message: string };

export interface Decision {
  /** The progress after the pure moves this decision made (advance a wave or a stage). */
  progress: SyncProgress;
  step: Step;
}

const HOOK_STAGES: Partial<Record<SyncStage, HookType>> = {
  PreSync: 'PreSync',
  PostSync: 'PostSync',
  SyncFail: 'SyncFail',
};

/** The key a hook is recorded under: its desired key and when it runs. */
export const hookRecordKey = (type: HookType, key: string): string => `${type}:${key}`;

export function startProgress(prune: boolean, manual: boolean): SyncProgress {
  return { stage: 'PreSync', wave: Number.MIN_SAFE_INTEGER, prune, manual, hooks: [] };
}

/** The operation a reconcile starts: Running, pinned to `revision`, at its first step. */
export function newOperation(
  app: Application,
  previous: OperationState | undefined,
  revision: string,
  now: string,
): OperationState {
  const asked = app.operation?.sync;
  const retries = retriesSoFar(asked !== undefined, previous, revision);
  return {
    phase: 'Running',
    message: `syncing to ${revision.slice(0, 7)}`,
    startedAt: now,
    // Who asked, from the request itself; an operation nobody asked for is automated.
    initiatedBy: asked ? (app.operation?.initiatedBy?.username ?? 'user') : 'automated',
    ...(retries === undefined ? {} : { retryCount: retries + 1 }),
    progress: startProgress(
      asked?.prune ?? app.spec.syncPolicy?.automated?.prune ?? false,
      asked !== undefined,
    ),
    syncResult: { revision, resources: [] },
  };
}

/** An automated retry of a failed sync of the same revision: how many retries came before. */
function retriesSoFar(
  manual: boolean,
  previous: OperationState | undefined,
  revision: string,
): number | undefined {
  if (manual || previous?.phase !== 'Failed' || previous.syncResult?.revision !== revision)
    return undefined;
  return previous.retryCount ?? 0;
}

/** Decides the next step from the saved progress; moves through finished waves and stages. */
export function nextStep(saved: SyncProgress, view: SyncView): Decision {
  let p: SyncProgress = { ...saved, hooks: [...(saved.hooks ?? [])] };
  for (let guard = 0; guard < 10_000; guard++) {
    const outcome = stageStep(p, view);
    if ('step' in outcome) return { progress: outcome.progress, step: outcome.step };
    p = outcome.next;
  }
  throw new Error('sync step machine did not settle (a bug): report it with the app’s status');
}

type Outcome = { progress: SyncProgress; step: Step } | { next: SyncProgress };

function stageStep(p: SyncProgress, view: SyncView): Outcome {
  const hookType = HOOK_STAGES[p.stage];
  if (hookType) return hookStage(p, view, hookType);
  if (p.stage === 'Sync') return syncStage(p, view);
  if (p.stage === 'Prune' || p.stage === 'PruneLast') return pruneStage(p, view);
  return {
    progress: p,
    step: p.failure
      ? { type: 'finish', phase: 'Failed', message: p.failure }
      : { type: 'finish', phase: 'Succeeded', message: '' },
  };
}

/** The stage after `stage`, with its wave reset. */
function advanceStage(p: SyncProgress, view: SyncView): SyncProgress {
  const order: SyncStage[] = view.pruneLast
    ? ['PreSync', 'Sync', 'PostSync', 'PruneLast', 'Done']
    : ['PreSync', 'Sync', 'Prune', 'PostSync', 'Done'];
  const next = p.stage === 'SyncFail' ? 'Done' : (order[order.indexOf(p.stage) + 1] ?? 'Done');
  const { waitingSince: _w, applied: _a, ...rest } = p;
  return { ...rest, stage: next, wave: Number.MIN_SAFE_INTEGER };
}

/** Something failed: run the SyncFail hooks, then end Failed. */
export function failed(p: SyncProgress, message: string): SyncProgress {
  const { waitingSince: _w, applied: _a, ...rest } = p;
  if (p.stage === 'SyncFail') return { ...rest, stage: 'Done', failure: p.failure ?? message };
  return { ...rest, stage: 'SyncFail', wave: Number.MIN_SAFE_INTEGER, failure: message };
}

function waiting(p: SyncProgress, view: SyncView, message: string): Outcome {
  const since = p.waitingSince ? Date.parse(p.waitingSince) : view.now;
  if (view.now - since > view.waitTimeoutMs) {
    const seconds = Math.round(view.waitTimeoutMs / 1000);
    return { next: failed(p, `${message}: not done after ${seconds}s`) };
  }
  const progress = p.waitingSince ? p : { ...p, waitingSince: new Date(view.now).toISOString() };
  return { progress, step: { type: 'wait', message } };
}

/** The first wave at or after `p.wave`; undefined when none is left. */
function currentWave<T extends DesiredResource>(
  p: SyncProgress,
  items: readonly T[],
): { wave: number; items: T[] } | undefined {
  return byWave(items).find((w) => w.wave >= p.wave);
}

function nextWave(p: SyncProgress, wave: number): SyncProgress {
  const { waitingSince: _w, applied: _a, ...rest } = p;
  return { ...rest, wave: wave + 1 };
}

/** Hooks of one wave: start the ones not started, wait for the running, fail on a failure. */
function hookWave(
  p: SyncProgress,
  view: SyncView,
  type: HookType,
  hooks: DesiredResource[],
): Outcome | 'done' {
  const records = new Map((p.hooks ?? []).map((h) => [hookRecordKey(h.type, h.key), h]));
  const missing = hooks.filter((h) => !records.has(hookRecordKey(type, h.key)));
  if (missing.length > 0)
    return { progress: p, step: { type: 'startHooks', hookType: type, hooks: missing } };
  const mine = hooks.map((h) => records.get(hookRecordKey(type, h.key)) as HookRecord);
  const bad = mine.find((h) => h.phase === 'Failed');
  if (bad && type !== 'SyncFail')
    return { next: failed(p, bad.message ?? `${type} hook ${bad.kind}/${bad.name} failed`) };
  const running = mine.filter((h) => h.phase === 'Running');
  if (running.length > 0)
    return waiting(
      p,
      view,
      `waiting for ${type} hook(s) ${someOf(running.map((h) => `${h.kind}/${h.name}`))}`,
    );
  return 'done';
}

function hookStage(p: SyncProgress, view: SyncView, type: HookType): Outcome {
  const hooks = view.plan.hooks.filter((h) => h.hooks?.includes(type));
  const wave = currentWave(p, hooks);
  if (!wave) return { next: advanceStage(p, view) };
  const at = { ...p, wave: wave.wave };
  const r = hookWave(at, view, type, wave.items);
  return r === 'done' ? { next: nextWave(at, wave.wave) } : r;
}

function syncStage(p: SyncProgress, view: SyncView): Outcome {
  const syncHooks = view.plan.hooks.filter((h) => h.hooks?.includes('Sync'));
  const wave = currentWave(p, [...view.plan.resources, ...syncHooks]);
  if (!wave) return { next: advanceStage(p, view) };
  const at: SyncProgress = {
    ...p,
    wave: wave.wave,
    applied: (p.wave === wave.wave ? p.applied : undefined) ?? 'none',
  };
  const resources = wave.items.filter((r) => !r.hooks);
  const hooks = wave.items.filter((r) => r.hooks);
  const applied = at.applied ?? 'none';
  if (applied === 'none') {
    const stage0 = resources.filter(isStageZero);
    if (stage0.length > 0)
      return {
        progress: at,
        step: { type: 'apply', wave: wave.wave, resources: stage0, stage0: true },
      };
    return { next: { ...at, applied: 'stage0' } };
  }
  if (applied === 'stage0') {
    const pending = resources.filter(
      (r) => r.ref.kind === 'CustomResourceDefinition' && !view.crdEstablished(r.key),
    );
    if (pending.length > 0)
      return waiting(
        at,
        view,
        `waiting for ${someOf(pending.map((r) => formatRef(r.ref)))} to be Established`,
      );
    const rest = resources.filter((r) => !isStageZero(r));
    return {
      progress: at,
      step: { type: 'apply', wave: wave.wave, resources: rest, stage0: false },
    };
  }
  const h = hookWave(at, view, 'Sync', hooks);
  if (h !== 'done') return h;
  if (!laterWork(view, wave.wave, syncHooks)) return { next: nextWave(at, wave.wave) };
  return settle(at, view, wave.wave, resources);
}

/** Is there a later wave or a PostSync hook that must wait for this wave to be healthy? */
function laterWork(view: SyncView, wave: number, syncHooks: DesiredResource[]): boolean {
  return (
    [...view.plan.resources, ...syncHooks].some((r) => r.wave > wave) ||
    view.plan.hooks.some((h) => h.hooks?.includes('PostSync'))
  );
}

/** Every object of the wave (changed or not) must be healthy before the next one starts. */
function settle(
  p: SyncProgress,
  view: SyncView,
  wave: number,
  resources: DesiredResource[],
): Outcome {
  const states = resources.map((r) => ({ r, h: view.health(r.key) }));
  const degraded = states.find((s) => s.h.status === 'Degraded');
  if (degraded)
    return {
      next: failed(
        p,
        `${formatRef(degraded.r.ref)} is Degraded${degraded.h.message ? ` (${degraded.h.message})` : ''}; later waves were not applied`,
      ),
    };
  const busy = states.filter((s) => s.h.status === 'Progressing' || s.h.status === 'Missing');
  if (busy.length > 0) {
    const first = busy[0] as (typeof busy)[number];
    return waiting(
      p,
      view,
      `wave ${wave}: waiting for ${busy.length} object(s) to become healthy (${formatRef(first.r.ref)}: ${first.h.message ?? first.h.status})`,
    );
  }
  return { next: nextWave(p, wave) };
}

function pruneStage(p: SyncProgress, view: SyncView): Outcome {
  if (p.applied === 'all') return { next: advanceStage(p, view) };
  return { progress: p, step: { type: 'prune' } };
}
