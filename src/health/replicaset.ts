/**
 * apps/ReplicaSet, following Argo CD's health_replicaset.go.
 */
import type { KubeObject } from '../kube/types.ts';
import {
  findCondition,
  generationNotObserved,
  num,
  rec,
  result,
  statusConditions,
} from './fields.ts';
import type { HealthResult } from './types.ts';

/** Health of a ReplicaSet: Degraded when it cannot create pods (quota, admission, ...). */
export function replicaSetHealth(obj: KubeObject): HealthResult {
  const unobserved = generationNotObserved(obj);
  if (unobserved) return unobserved;
  const failure = findCondition(statusConditions(obj), 'ReplicaFailure');
  if (failure?.status === 'True') {
    return result('Degraded', failure.message ?? failure.reason ?? 'ReplicaFailure');
  }
  const desired = num(rec(obj['spec'])['replicas']) ?? 1;
  const available = num(rec(obj['status'])['availableReplicas']) ?? 0;
  if (available < desired) {
    return result(
      'Progressing',
      `waiting for rollout to finish: ${available} out of ${desired} new replicas are available`,
    );
  }
  return result('Healthy');
}
