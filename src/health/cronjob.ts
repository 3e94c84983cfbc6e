/**
 * batch/CronJob: the schedule itself has no health; only suspension is worth showing. Each run
 * is a Job with its own health.
 */
import type { KubeObject } from '../kube/types.ts';
import { rec, result } from './fields.ts';
import type { HealthResult } from './types.ts';

/** Health of a CronJob: Suspended when `spec.suspend` is true, otherwise Healthy. */
export function cronJobHealth(obj: KubeObject): HealthResult {
  if (rec(obj['spec'])['suspend'] === true) return result('Suspended', 'CronJob is suspended');
  return result('Healthy');
}
