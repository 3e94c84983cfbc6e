/**
 * sluice.dev/Rollout (and argoproj.io/Rollout, for Applications that still deploy Argo's), as
 * Argo CD reads Rollouts: Paused is Suspended (a person or an analysis decides what is next),
 * Degraded is Degraded (an aborted update, a spec the controller refuses), a status not yet
 * written for this generation is Progressing.
 *
 * A spec the controller refuses (condition InvalidSpec=True: a missing template, a Service or
 * AnalysisTemplate that does not exist) is Degraded even when the status is of an older
 * generation: the controller says what is wrong without necessarily recording that it saw the
 * new spec, and "waiting for the controller" would hide the reason forever.
 */
import type { KubeObject } from '../kube/types.ts';
import { describeCondition, findCondition, rec, result, statusConditions } from './fields.ts';
import type { HealthResult } from './types.ts';

/** Whether the status was written for an older spec (observedGeneration is a string or a number). */
function behind(obj: KubeObject): boolean {
  const observed = rec(obj['status'])['observedGeneration'];
  if (observed === undefined) return false;
  const seen = typeof observed === 'string' || typeof observed === 'number' ? String(observed) : '';
  return seen !== String(obj.metadata.generation ?? '');
}

export function rolloutHealth(obj: KubeObject): HealthResult {
  const invalid = findCondition(statusConditions(obj), 'InvalidSpec');
  if (invalid?.status === 'True') {
    return result('Degraded', describeCondition(invalid) || 'the rollout spec is invalid');
  }
  if (behind(obj)) {
    return result('Progressing', 'waiting for the rollout controller to observe the new spec');
  }
  const status = rec(obj['status']);
  const message = typeof status['message'] === 'string' ? status['message'] : '';
  switch (status['phase']) {
    case 'Healthy':
      return result('Healthy', message);
    case 'Paused':
      return result('Suspended', message || 'the rollout is paused');
    case 'Degraded':
      return result('Degraded', message || 'the rollout is degraded');
    case 'Progressing':
      return result('Progressing', message);
    default:
      return result('Progressing', 'waiting for the rollout controller');
  }
}
