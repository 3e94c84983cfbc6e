/**
 * Rollout events, read off the Rollout's status (Argo Rollouts' notification triggers):
 *
 * - `rollout-paused`: a pause condition (a `pause` step, a blue-green promotion pause). Key and
 *   time: the newest condition's reason and `startTime`, so each pause step notifies once. A
 *   pause by a person (`spec.paused`) has no time: notified once while it lasts (rearm).
 * - `rollout-aborted`: `status.abort` with `abortedAt` (key and time).
 * - `rollout-completed` (promoted): Healthy with the Progressing reason NewReplicaSetAvailable.
 *   Key: the stable pod template hash, so a version completes once; time: that condition's
 *   `lastUpdateTime`.
 *
 * App: the Application whose tracking id the Rollout carries; environment: the label
 * `sluice.dev/environment`, else the namespace.
 */
import type { Rollout, RolloutStatus } from '../../../api/rollout.ts';
import { environmentOf, managingApp, timeOr } from '../context.ts';
import { defineSource } from '../source.ts';
import type { Detection } from '../types.ts';

function details(ro: Rollout): Record<string, string> {
  const s = ro.status;
  const weight = s?.canary?.weights?.canary.weight;
  return {
    phase: s?.phase ?? 'Unknown',
    strategy: ro.spec.strategy.blueGreen ? 'blueGreen' : 'canary',
    ...(s?.currentStepIndex !== undefined ? { step: String(s.currentStepIndex) } : {}),
    ...(weight !== undefined ? { weight: String(weight) } : {}),
    ...(s?.currentPodHash ? { podTemplateHash: s.currentPodHash } : {}),
    ...(s?.stableRS ? { stableHash: s.stableRS } : {}),
  };
}

function paused(ro: Rollout, now: Date): Detection | undefined {
  const s = ro.status;
  const conditions = [...(s?.pauseConditions ?? [])].sort((a, b) =>
    a.startTime.localeCompare(b.startTime),
  );
  const last = conditions.at(-1);
  if (last) {
    return {
      type: 'rollout-paused',
      key: `${last.reason}@${last.startTime}`,
      time: timeOr(last.startTime, now),
      reason: last.reason,
      message: s?.message || `paused: ${last.reason}`,
      details: details(ro),
    };
  }
  if (ro.spec.paused !== true) return undefined;
  return {
    type: 'rollout-paused',
    key: 'spec.paused',
    rearm: true,
    time: now.toISOString(),
    reason: 'PausedByUser',
    message: s?.message || 'paused (spec.paused)',
    details: details(ro),
  };
}

function aborted(ro: Rollout): Detection | undefined {
  const s = ro.status;
  if (!s?.abort || !s.abortedAt) return undefined;
  return {
    type: 'rollout-aborted',
    key: s.abortedAt,
    time: s.abortedAt,
    reason: 'RolloutAborted',
    message: s.message ?? '',
    details: details(ro),
  };
}

const progressing = (s: RolloutStatus | undefined) =>
  s?.conditions?.find((c) => c.type === 'Progressing');

function completed(ro: Rollout, now: Date): Detection | undefined {
  const s = ro.status;
  const p = progressing(s);
  if (s?.phase !== 'Healthy' || !s.stableRS || p?.reason !== 'NewReplicaSetAvailable') {
    return undefined;
  }
  return {
    type: 'rollout-completed',
    key: s.stableRS,
    time: timeOr(p.lastUpdateTime ?? p.lastTransitionTime, now),
    reason: 'NewReplicaSetAvailable',
    message: p.message || 'the rollout is complete',
    details: details(ro),
  };
}

export const rollouts = defineSource<Rollout>({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  resource: 'rollouts',
  scope: 'workloads',
  types: ['rollout-paused', 'rollout-aborted', 'rollout-completed'],
  detect(ro, now) {
    return [paused(ro, now), aborted(ro), completed(ro, now)].filter(
      (d): d is Detection => d !== undefined,
    );
  },
  context(ro) {
    const app = managingApp(ro);
    return { ...(app ? { app } : {}), environment: environmentOf(ro) };
  },
  slim(ro) {
    const { managedFields: _m, ...metadata } = ro.metadata;
    const { template: _t, ...spec } = ro.spec;
    return { ...ro, metadata, spec };
  },
});
