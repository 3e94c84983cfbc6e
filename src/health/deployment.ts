/**
 * apps/Deployment, following `kubectl rollout status` and Argo CD's health_deployment.go.
 */
import type { KubeObject } from '../kube/types.ts';
import {
  findCondition,
  generationNotObserved,
  meta,
  num,
  rec,
  result,
  statusConditions,
  str,
} from './fields.ts';
import type { HealthResult } from './types.ts';

interface DeploymentLike {
  name: string;
  paused: boolean;
  /** spec.replicas; the API server defaults it to 1. */
  desired: number;
  replicas: number;
  updated: number;
  available: number;
  deadlineExceeded: boolean;
}

function read(obj: KubeObject): DeploymentLike {
  const spec = rec(obj['spec']);
  const status = rec(obj['status']);
  const progressing = findCondition(statusConditions(obj), 'Progressing');
  return {
    name: str(meta(obj)['name']) ?? '',
    paused: spec['paused'] === true,
    desired: num(spec['replicas']) ?? 1,
    replicas: num(status['replicas']) ?? 0,
    updated: num(status['updatedReplicas']) ?? 0,
    available: num(status['availableReplicas']) ?? 0,
    deadlineExceeded: progressing?.reason === 'ProgressDeadlineExceeded',
  };
}

/** Health of a Deployment: Suspended when paused, Degraded past its progress deadline. */
export function deploymentHealth(obj: KubeObject): HealthResult {
  const d = read(obj);
  if (d.paused) return result('Suspended', 'Deployment is paused');
  const unobserved = generationNotObserved(obj);
  if (unobserved) return unobserved;
  if (d.deadlineExceeded) {
    return result('Degraded', `Deployment ${d.name} exceeded its progress deadline`);
  }
  const waiting = 'waiting for rollout to finish';
  if (d.updated < d.desired) {
    return result(
      'Progressing',
      `${waiting}: ${d.updated} out of ${d.desired} new replicas have been updated`,
    );
  }
  if (d.replicas > d.updated) {
    return result(
      'Progressing',
      `${waiting}: ${d.replicas - d.updated} old replicas are pending termination`,
    );
  }
  if (d.available < d.updated) {
    return result(
      'Progressing',
      `${waiting}: ${d.available} of ${d.updated} updated replicas are available`,
    );
  }
  return result('Healthy');
}
