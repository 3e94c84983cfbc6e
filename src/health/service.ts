/**
 * core/v1 Service: only a LoadBalancer waits for something (its external address).
 */
import type { KubeObject } from '../kube/types.ts';
import { list, rec, result } from './fields.ts';
import type { HealthResult } from './types.ts';

/** The entries of `status.loadBalancer.ingress` (Service and Ingress share the shape). */
export function loadBalancerIngress(obj: KubeObject): readonly unknown[] {
  return list(rec(rec(obj['status'])['loadBalancer'])['ingress']);
}

/** Health of a Service: a LoadBalancer is Progressing until it has an address. */
export function serviceHealth(obj: KubeObject): HealthResult {
  const type = rec(obj['spec'])['type'];
  if (type === 'LoadBalancer' && loadBalancerIngress(obj).length === 0) {
    return result('Progressing', 'waiting for a load balancer address');
  }
  return result('Healthy');
}
