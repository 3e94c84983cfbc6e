/**
 * apps/StatefulSet, following `kubectl rollout status` (and Argo CD, which copies it).
 */
import type { KubeObject } from '../kube/types.ts';
import { generationNotObserved, num, rec, result, str } from './fields.ts';
import type { HealthResult } from './types.ts';

interface StatefulSetLike {
  desired: number;
  strategy: string;
  /** spec.updateStrategy.rollingUpdate.partition, when set (the API server defaults it to 0). */
  partition: number | undefined;
  ready: number;
  updated: number;
  currentRevision: string;
  updateRevision: string;
}

function read(obj: KubeObject): StatefulSetLike {
  const spec = rec(obj['spec']);
  const strategy = rec(spec['updateStrategy']);
  const status = rec(obj['status']);
  return {
    desired: num(spec['replicas']) ?? 1,
    strategy: str(strategy['type']) ?? 'RollingUpdate',
    partition: num(rec(strategy['rollingUpdate'])['partition']),
    ready: num(status['readyReplicas']) ?? 0,
    updated: num(status['updatedReplicas']) ?? 0,
    currentRevision: str(status['currentRevision']) ?? '',
    updateRevision: str(status['updateRevision']) ?? '',
  };
}

/**
 * Health of a StatefulSet. Readiness is checked for every strategy (as kubectl and Argo CD do);
 * with OnDelete the update itself cannot be tracked, so a ready set is Healthy.
 */
export function statefulSetHealth(obj: KubeObject): HealthResult {
  const unobserved = generationNotObserved(obj);
  if (unobserved) return unobserved;
  const s = read(obj);
  if (s.ready < s.desired) {
    return result('Progressing', `waiting for ${s.desired - s.ready} pods to be ready`);
  }
  if (s.strategy === 'OnDelete') return result('Healthy');
  if (s.partition !== undefined) {
    const target = s.desired - s.partition;
    if (s.updated < target) {
      return result(
        'Progressing',
        `waiting for partitioned rollout to finish: ${s.updated} out of ${target} new pods have been updated`,
      );
    }
    return result('Healthy');
  }
  if (s.currentRevision !== s.updateRevision) {
    return result(
      'Progressing',
      `waiting for rolling update to complete: ${s.updated} pods at revision ${s.updateRevision}`,
    );
  }
  return result('Healthy');
}
