/**
 * autoscaling/HorizontalPodAutoscaler, v1 and v2. v2 keeps conditions in `status.conditions`;
 * v1 objects carry the same list as JSON in an annotation.
 */
import type { Condition, KubeObject } from '../kube/types.ts';
import { conditionsOf, describeCondition, meta, rec, result, statusConditions } from './fields.ts';
import type { HealthResult } from './types.ts';

const V1_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';

function v1Conditions(obj: KubeObject): Condition[] {
  const raw = rec(meta(obj)['annotations'])[V1_CONDITIONS];
  if (typeof raw !== 'string') return [];
  try {
    return conditionsOf(JSON.parse(raw));
  } catch {
    return [];
  }
}

/**
 * True for a condition that means the autoscaler cannot work: AbleToScale or ScalingActive
 * False with a reason such as FailedGetScale, FailedGetResourceMetric or InvalidSelector.
 * ScalingActive False with ScalingDisabled (target scaled to 0) is not a failure.
 */
function isFailure(c: Condition): boolean {
  if (c.status !== 'False') return false;
  if (c.type !== 'AbleToScale' && c.type !== 'ScalingActive') return false;
  const reason = c.reason ?? '';
  return reason.startsWith('Failed') || reason.startsWith('Invalid');
}

/** Health of an HPA: Degraded when it cannot read its target or metrics, otherwise Healthy. */
export function hpaHealth(obj: KubeObject): HealthResult {
  const conds = [...statusConditions(obj), ...v1Conditions(obj)];
  const failure = conds.find(isFailure);
  if (failure) return result('Degraded', describeCondition(failure));
  return result('Healthy');
}
