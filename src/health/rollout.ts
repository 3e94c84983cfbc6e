/**
 * sluice.dev/Rollout (and argoproj.io/Rollout, for Applications that still deploy Argo's), as
 * Argo CD reads Rollouts: Paused is Suspended (a person or an analysis decides what is next),
 * Degraded is Degraded, a status not yet written for this generation is Progressing.
 */
import type { KubeObject } from '../kube/types.ts';
import { rec, result } from './fields.ts';
import type { HealthResult } from './types.ts';

export function rolloutHealth(obj: KubeObject): HealthResult {
  const status = rec(obj['status']);
  const observed = status['observedGeneration'];
  const current = String(obj.metadata.generation ?? '');
  const seen = typeof observed === 'string' || typeof observed === 'number' ? String(observed) : '';
  if (observed !== undefined && seen !== current) {
    return result('Progressing', 'waiting for the rollout controller to observe the new spec');
  }
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
