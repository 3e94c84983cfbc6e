/**
 * apiregistration.k8s.io/APIService, after Argo CD's health_apiservice.go.
 */
import type { KubeObject } from '../kube/types.ts';
import { describeCondition, findCondition, result, statusConditions } from './fields.ts';
import type { HealthResult } from './types.ts';

/**
 * Health of an APIService from its Available condition. Not available is Progressing, not
 * Degraded: the backing service (e.g. metrics-server) is often still starting.
 */
export function apiServiceHealth(obj: KubeObject): HealthResult {
  const available = findCondition(statusConditions(obj), 'Available');
  if (!available) return result('Progressing', 'waiting to be processed');
  if (available.status === 'True') return result('Healthy');
  return result('Progressing', describeCondition(available) || 'not available yet');
}
