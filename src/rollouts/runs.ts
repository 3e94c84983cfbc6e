/**
 * The AnalysisRuns a Rollout starts: one per canary analysis step, one for the background
 * analysis, one each for blue-green's pre- and post-promotion analysis — named
 * `<rollout>-<hash>-<slot>` (a second attempt, after `onError: Pause` and a promote, gets
 * `-a2`), labelled with the revision's hash and the slot, owned by the Rollout.
 *
 * The plans (canary.ts, bluegreen.ts) read them as `StepRun`s; a run just created is remembered
 * here until the run cache has it, so a plan never starts one twice or misses the one it asked for.
 */
import type { Rollout, RolloutAnalysis } from '../api/rollout.ts';
import type { AnalysisRun } from '../api/analysis.ts';
import type { Kube } from '../kube/api.ts';
import {
  buildAnalysisRun,
  isCompleted,
  kubeLookup,
  loadTemplates,
  resolveArgs,
} from '../analysis/index.ts';
import { FIELD_MANAGER, HASH_LABEL } from './replicasets.ts';

/** The label telling which analysis of a Rollout an AnalysisRun is (step index, or a name). */
export const STEP_LABEL = 'sluice.dev/rollout-step';
/** Which attempt of that analysis the run is (1 when absent). */
export const ATTEMPT_LABEL = 'sluice.dev/analysis-attempt';

/** A canary step index, or one of the analyses that are not steps. */
export type RunSlot = number | 'background' | 'prePromotion' | 'postPromotion';

export interface StepRun {
  name: string;
  phase: string | undefined;
  message: string | undefined;
  /** 1 for the first run of a slot, 2 after one retry, ... */
  attempt: number;
}

const SUFFIX: Record<Exclude<RunSlot, number>, string> = {
  background: 'bg',
  prePromotion: 'pre',
  postPromotion: 'post',
};

function slotLabel(slot: RunSlot): string {
  return String(slot);
}

function parseSlot(label: string | undefined): RunSlot | undefined {
  if (label === undefined) return undefined;
  if (label === 'background' || label === 'prePromotion' || label === 'postPromotion') return label;
  const n = Number(label);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function runName(ro: Rollout, hash: string, slot: RunSlot, attempt: number): string {
  const base = `${ro.metadata.name}-${hash}-${typeof slot === 'number' ? slot : SUFFIX[slot]}`;
  return attempt > 1 ? `${base}-a${attempt}` : base;
}

/** The analysis a slot runs, from the Rollout's strategy. */
export function analysisOf(ro: Rollout, slot: RunSlot): RolloutAnalysis | undefined {
  const { canary, blueGreen } = ro.spec.strategy;
  if (slot === 'background') return canary?.analysis;
  if (slot === 'prePromotion') return blueGreen?.prePromotionAnalysis;
  if (slot === 'postPromotion') return blueGreen?.postPromotionAnalysis;
  return canary?.steps?.[slot]?.analysis;
}

function owns(ro: Rollout, run: AnalysisRun): boolean {
  return (
    run.metadata.namespace === ro.metadata.namespace &&
    (run.metadata.ownerReferences ?? []).some((r) => r.uid === ro.metadata.uid)
  );
}

/** Keeps the runs this controller created until the run cache shows them. */
export class RunBook {
  private readonly created = new Map<string, { run: AnalysisRun; at: number }>();
  private readonly cached: () => readonly AnalysisRun[];

  constructor(cached: () => readonly AnalysisRun[]) {
    this.cached = cached;
  }

  /** The newest attempt of each slot's run for a revision of a Rollout. */
  runsOf(ro: Rollout, hash: string): Map<RunSlot, StepRun> {
    const out = new Map<RunSlot, StepRun>();
    for (const run of this.all()) {
      if (!owns(ro, run) || run.metadata.labels?.[HASH_LABEL] !== hash) continue;
      const slot = parseSlot(run.metadata.labels?.[STEP_LABEL]);
      if (slot === undefined) continue;
      const attempt = Number(run.metadata.labels?.[ATTEMPT_LABEL] ?? 1) || 1;
      if ((out.get(slot)?.attempt ?? 0) >= attempt) continue;
      out.set(slot, {
        name: run.metadata.name,
        phase: run.status?.phase,
        message: run.status?.message,
        attempt,
      });
    }
    return out;
  }

  /** The cached runs and those created since that the cache has not shown yet. */
  private all(): AnalysisRun[] {
    const cache = this.cached();
    const seen = new Set(cache.map((r) => r.metadata.name));
    for (const [name, c] of this.created) {
      if (seen.has(name) || Date.now() - c.at > 60_000) this.created.delete(name);
    }
    return [...cache, ...[...this.created.values()].map((c) => c.run)];
  }

  /** Creates a slot's AnalysisRun (idempotent: one that exists is left as it is). */
  async start(
    kube: Kube,
    ro: Rollout,
    hash: string,
    slot: RunSlot,
    stableHash: string | undefined,
    attempt = 1,
  ): Promise<void> {
    const analysis = analysisOf(ro, slot);
    if (!analysis) return;
    const templates = await loadTemplates(
      kubeLookup(kube),
      ro.metadata.namespace,
      analysis.templates,
    );
    const run = buildAnalysisRun({
      rollout: {
        name: ro.metadata.name,
        namespace: ro.metadata.namespace,
        uid: ro.metadata.uid ?? '',
      },
      templates,
      args: resolveArgs(analysis.args, { stableHash, latestHash: hash, rollout: ro }),
      labels: {
        [HASH_LABEL]: hash,
        [STEP_LABEL]: slotLabel(slot),
        ...(attempt > 1 ? { [ATTEMPT_LABEL]: String(attempt) } : {}),
      },
      name: runName(ro, hash, slot, attempt),
    });
    try {
      const created = await kube.create<AnalysisRun>(run, { fieldManager: FIELD_MANAGER });
      this.created.set(created.metadata.name, { run: created, at: Date.now() });
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }

  /**
   * Runs still measuring an older revision, or any revision of a rollout that is over (aborted,
   * or the new version is stable — blue-green's post-promotion analysis ends before that), are
   * told to stop (`spec.terminate`): their Jobs and queries would only judge what no longer
   * matters.
   */
  async terminateStale(kube: Kube, ro: Rollout, hash: string, over: boolean): Promise<void> {
    for (const run of this.cached()) {
      if (!owns(ro, run) || isCompleted(run.status?.phase) || run.spec.terminate) continue;
      if (!over && run.metadata.labels?.[HASH_LABEL] === hash) continue;
      await kube.mergePatch(run, { spec: { terminate: true } }, { fieldManager: FIELD_MANAGER });
    }
  }
}
