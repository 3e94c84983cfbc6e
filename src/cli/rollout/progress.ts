/**
 * Reading where a Rollout is from its status, as `sluice rollout` needs it.
 *
 * A canary's weights as `get` shows them:
 * - set weight: what the steps ask for at the current step (the last `setWeight` at or before
 *   it; 100 once every step is done or the canary is the stable revision; 0 after an abort);
 * - actual weight: what the traffic router was told (`status.canary.weights.canary.weight`) or,
 *   without a router, the canary's share of the available pods.
 * Stale: the spec changed and the controller has not reported on it yet (observedGeneration).
 */
import type { Rollout } from '../../api/rollout.ts';
import { HASH_LABEL, type ReplicaSet } from './objects.ts';

export function setWeightOf(ro: Rollout): number {
  const s = ro.status;
  if (s?.abort) return 0;
  if (s?.currentPodHash !== undefined && s.currentPodHash === s.stableRS) return 100;
  const steps = ro.spec.strategy.canary?.steps ?? [];
  const index = s?.currentStepIndex ?? 0;
  if (steps.length === 0 || index >= steps.length) return 100;
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    const w = steps[i]?.setWeight;
    if (w !== undefined) return w;
  }
  return 0;
}

export function actualWeightOf(
  ro: Rollout,
  replicaSets: readonly ReplicaSet[],
): number | undefined {
  const s = ro.status;
  // Complete: the new version is the stable one and takes everything (as Argo shows it).
  if (s?.currentPodHash !== undefined && s.currentPodHash === s.stableRS) return 100;
  const routed = s?.canary?.weights?.canary.weight;
  if (routed !== undefined) return routed;
  if (!s?.currentPodHash) return undefined;
  const available = (hash: string): number =>
    replicaSets
      .filter((rs) => rs.metadata.labels?.[HASH_LABEL] === hash)
      .reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  const canary = available(s.currentPodHash);
  const total = canary + (s.stableRS ? available(s.stableRS) : 0);
  return total === 0 ? 0 : Math.round((canary * 100) / total);
}

/** The spec changed and the controller has not reported on it yet. */
export const stale = (ro: Rollout): boolean =>
  ro.status?.observedGeneration !== undefined &&
  ro.metadata.generation !== undefined &&
  ro.status.observedGeneration !== String(ro.metadata.generation);

/** Nothing is being rolled out: the newest revision is the stable one. */
export const settled = (ro: Rollout): boolean =>
  !stale(ro) &&
  ro.status?.currentPodHash !== undefined &&
  ro.status.currentPodHash === ro.status.stableRS;
