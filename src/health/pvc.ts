/**
 * core/v1 PersistentVolumeClaim, after Argo CD's health_pvc.go.
 */
import type { KubeObject } from '../kube/types.ts';
import { rec, result, str } from './fields.ts';
import type { HealthResult } from './types.ts';

/**
 * Health of a PVC from its phase. A claim on a WaitForFirstConsumer storage class stays
 * Pending (Progressing) until a pod uses it; the claim alone cannot tell the two apart.
 */
export function pvcHealth(obj: KubeObject): HealthResult {
  const phase = str(rec(obj['status'])['phase']);
  switch (phase) {
    case 'Bound':
      return result('Healthy');
    case 'Pending':
    case undefined:
      return result('Progressing', 'waiting for the claim to be bound');
    case 'Lost':
      return result('Degraded', 'the claim lost its persistent volume');
    default:
      return result('Unknown', `claim phase is ${phase}`);
  }
}
