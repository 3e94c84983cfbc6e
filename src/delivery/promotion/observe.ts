/**
 * What a Promotion's environments are doing, read from the objects the controller's caches hold
 * (pure): each environment's Applications (sync, health, `status.summary.images`), and the
 * Rollouts those apps manage (from `status.resources`), each with the newest verdict of the
 * AnalysisRuns of its current pod template.
 */
import type { AnalysisRun } from '../../api/analysis.ts';
import type { Application } from '../../api/application.ts';
import type { Promotion } from '../../api/promotion.ts';
import type { Rollout } from '../../api/rollout.ts';
import { imagesOf } from '../../gitops/images.ts';
import type { AppObservation, EnvObservation, RolloutObservation } from './plan.ts';

export interface Caches {
  app(namespace: string, name: string): Application | undefined;
  rollout(namespace: string, name: string): Rollout | undefined;
  /** The AnalysisRuns of a Rollout's pod template hash. */
  analysisRuns(namespace: string, podHash: string): readonly AnalysisRun[];
}

const HASH_LABEL = 'rollouts-pod-template-hash';
export { HASH_LABEL };

function observeApp(a: Application | undefined, name: string): AppObservation {
  if (!a) return { name, found: false, images: [] };
  return {
    name,
    found: true,
    ...(a.status?.sync?.status ? { sync: a.status.sync.status } : {}),
    ...(a.status?.health?.status ? { health: a.status.health.status } : {}),
    images: a.status?.summary?.images ?? [],
  };
}

/** The newest verdict among a template's AnalysisRuns. */
function verdict(runs: readonly AnalysisRun[]): RolloutObservation['analysis'] {
  if (runs.length === 0) return 'None';
  const phases = runs.map((r) => r.status?.phase ?? 'Pending');
  if (phases.some((p) => p === 'Failed' || p === 'Error')) return 'Failed';
  if (phases.some((p) => p === 'Running' || p === 'Pending')) return 'Running';
  if (phases.some((p) => p === 'Successful')) return 'Successful';
  return 'None';
}

export function observeRollout(r: Rollout, runs: readonly AnalysisRun[]): RolloutObservation {
  const s = r.status;
  const settled = s?.phase === 'Healthy' && !!s.currentPodHash && s.stableRS === s.currentPodHash;
  const phase: RolloutObservation['phase'] = s?.abort
    ? 'Aborted'
    : settled
      ? 'Healthy'
      : s?.phase === 'Paused' || s?.phase === 'Degraded'
        ? s.phase
        : 'Progressing';
  return {
    name: `${r.metadata.namespace}/${r.metadata.name}`,
    images: imagesOf(r),
    phase,
    analysis: verdict(runs),
    ...(s?.message ? { message: s.message } : {}),
  };
}

/** The Rollouts an app manages, from its status. */
function rolloutsOf(a: Application | undefined, c: Caches): RolloutObservation[] {
  const out: RolloutObservation[] = [];
  for (const res of a?.status?.resources ?? []) {
    if (res.kind !== 'Rollout' || res.group !== 'sluice.dev' || !res.namespace) continue;
    const r = c.rollout(res.namespace, res.name);
    const hash = r?.status?.currentPodHash;
    if (r) out.push(observeRollout(r, hash ? c.analysisRuns(res.namespace, hash) : []));
  }
  return out;
}

/** Each environment of `p`, in order. */
export function observe(p: Promotion, c: Caches): EnvObservation[] {
  return p.spec.environments.map((env) => {
    const apps = env.applications.map((n) => c.app(p.metadata.namespace, n));
    return {
      apps: apps.map((a, i) => observeApp(a, env.applications[i]!)),
      rollouts: apps.flatMap((a) => rolloutsOf(a, c)),
    };
  });
}
