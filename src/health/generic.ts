/**
 * The fallback for every kind without its own check, custom resources included. It follows
 * kstatus (sigs.k8s.io/cli-utils), the conventions Flux, Crossplane and cert-manager publish:
 *
 * - `status.observedGeneration` present and behind `metadata.generation`: Progressing.
 * - `Stalled=True`: Degraded. `Reconciling=True`: Progressing.
 * - `Ready=True`: Healthy. `Ready=False` or `Unknown`: Progressing, except (a Sluice choice,
 *   stricter than kstatus) when the reason ends in `Failed` or `Error` (InstallFailed,
 *   ReconciliationFailed, ReconcileError...): the controller has reported a failure, so Degraded.
 * - No status or no conditions: Healthy (kstatus "Current").
 */
import type { KubeObject } from '../kube/types.ts';
import {
  describeCondition,
  findCondition,
  meta,
  num,
  rec,
  result,
  statusConditions,
} from './fields.ts';
import type { HealthResult } from './types.ts';

const FAILURE_REASON = /(Failed|Error)$/;

function generationLag(obj: KubeObject): HealthResult | undefined {
  const observed = num(rec(obj['status'])['observedGeneration']);
  const desired = num(meta(obj)['generation']);
  if (observed === undefined || desired === undefined || observed >= desired) return undefined;
  return result(
    'Progressing',
    `waiting for the controller: observed generation ${observed} < desired ${desired}`,
  );
}

/** kstatus-style health of any object; always has an opinion. */
export function genericHealth(obj: KubeObject): HealthResult {
  const lag = generationLag(obj);
  if (lag) return lag;
  const conds = statusConditions(obj);
  const stalled = findCondition(conds, 'Stalled');
  if (stalled?.status === 'True') return result('Degraded', describeCondition(stalled));
  const reconciling = findCondition(conds, 'Reconciling');
  if (reconciling?.status === 'True') return result('Progressing', describeCondition(reconciling));
  const ready = findCondition(conds, 'Ready');
  if (!ready) return result('Healthy');
  if (ready.status === 'True') return result('Healthy', ready.message);
  const failed = FAILURE_REASON.test(ready.reason ?? '');
  return result(failed ? 'Degraded' : 'Progressing', describeCondition(ready));
}
