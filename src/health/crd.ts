/**
 * apiextensions.k8s.io/CustomResourceDefinition: usable once Established; Degraded when its
 * names clash with another CRD's.
 */
import type { KubeObject } from '../kube/types.ts';
import { describeCondition, findCondition, result, statusConditions } from './fields.ts';
import type { HealthResult } from './types.ts';

/** Health of a CRD from its NamesAccepted and Established conditions. */
export function crdHealth(obj: KubeObject): HealthResult {
  const conds = statusConditions(obj);
  const names = findCondition(conds, 'NamesAccepted');
  if (names?.status === 'False') return result('Degraded', describeCondition(names));
  const established = findCondition(conds, 'Established');
  if (established?.status === 'True') return result('Healthy');
  return result(
    'Progressing',
    established ? describeCondition(established) : 'waiting for the CRD to be established',
  );
}
