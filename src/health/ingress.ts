/**
 * networking.k8s.io/Ingress. Always Healthy, like kstatus and Flux: the cluster may have no
 * ingress controller that publishes an address, and waiting for one would never end.
 * Argo CD differs here (Progressing until an address appears).
 */
import type { KubeObject } from '../kube/types.ts';
import { result } from './fields.ts';
import { loadBalancerIngress } from './service.ts';
import type { HealthResult } from './types.ts';

/** Health of an Ingress: Healthy, with a note when no address has been published yet. */
export function ingressHealth(obj: KubeObject): HealthResult {
  if (loadBalancerIngress(obj).length === 0) {
    return result('Healthy', 'no load balancer address yet');
  }
  return result('Healthy');
}
