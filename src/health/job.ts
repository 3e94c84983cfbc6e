/**
 * batch/Job: finished when a Complete (or SuccessCriteriaMet) or Failed condition is True.
 */
import type { KubeObject } from '../kube/types.ts';
import { describeCondition, num, rec, result, statusConditions } from './fields.ts';
import type { HealthResult } from './types.ts';

const isTrue = (type: string) => (c: { type: string; status: string }) =>
  c.type === type && c.status === 'True';

/**
 * Health of a Job. Terminal conditions win over `spec.suspend`: a finished job stays finished.
 * FailureTarget (set before Failed while pods are being terminated) already counts as Degraded.
 */
export function jobHealth(obj: KubeObject): HealthResult {
  const conds = statusConditions(obj);
  const failed = conds.find(isTrue('Failed')) ?? conds.find(isTrue('FailureTarget'));
  if (failed) return result('Degraded', describeCondition(failed) || 'job failed');
  if (conds.some(isTrue('Complete')) || conds.some(isTrue('SuccessCriteriaMet'))) {
    return result('Healthy');
  }
  if (rec(obj['spec'])['suspend'] === true) return result('Suspended', 'Job is suspended');
  const status = rec(obj['status']);
  const active = num(status['active']) ?? 0;
  const succeeded = num(status['succeeded']) ?? 0;
  const failedPods = num(status['failed']) ?? 0;
  return result(
    'Progressing',
    `waiting for the job to complete: ${active} active, ${succeeded} succeeded, ${failedPods} failed pods`,
  );
}
