/**
 * apps/DaemonSet, following `kubectl rollout status` and Argo CD's health_daemonset.go.
 */
import type { KubeObject } from '../kube/types.ts';
import { generationNotObserved, num, rec, result, str } from './fields.ts';
import type { HealthResult } from './types.ts';

interface DaemonSetLike {
  onDelete: boolean;
  desired: number;
  updated: number;
  available: number;
}

function read(obj: KubeObject): DaemonSetLike {
  const status = rec(obj['status']);
  return {
    onDelete: str(rec(rec(obj['spec'])['updateStrategy'])['type']) === 'OnDelete',
    desired: num(status['desiredNumberScheduled']) ?? 0,
    updated: num(status['updatedNumberScheduled']) ?? 0,
    available: num(status['numberAvailable']) ?? 0,
  };
}

/** Health of a DaemonSet; with the OnDelete strategy it is Healthy once the spec is observed. */
export function daemonSetHealth(obj: KubeObject): HealthResult {
  const unobserved = generationNotObserved(obj);
  if (unobserved) return unobserved;
  const d = read(obj);
  if (d.onDelete) return result('Healthy');
  const waiting = 'waiting for daemon set rollout to finish';
  if (d.updated < d.desired) {
    return result(
      'Progressing',
      `${waiting}: ${d.updated} out of ${d.desired} new pods have been updated`,
    );
  }
  if (d.available < d.desired) {
    return result(
      'Progressing',
      `${waiting}: ${d.available} of ${d.desired} updated pods are available`,
    );
  }
  return result('Healthy');
}
