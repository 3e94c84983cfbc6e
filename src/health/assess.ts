/** The entry point: pick the check for an object's kind and run it safely. */
import { errorMessage } from '../errors.ts';
import { groupOf } from '../kube/types.ts';
import type { KubeObject } from '../kube/types.ts';
import { list, meta, result, str } from './fields.ts';
import { genericHealth } from './generic.ts';
import { lookupHealthCheck } from './registry.ts';
import type { HealthContext, HealthResult } from './types.ts';

function deletionHealth(obj: KubeObject): HealthResult | undefined {
  const m = meta(obj);
  if (!str(m['deletionTimestamp'])) return undefined;
  const finalizers = list(m['finalizers']).filter((f) => typeof f === 'string');
  const waiting = finalizers.length ? `, waiting for finalizers: ${finalizers.join(', ')}` : '';
  return result('Progressing', `being deleted${waiting}`);
}

/**
 * The health of one live object. `undefined` (not in the cluster) is Missing; an object being
 * deleted is Progressing whatever its kind; otherwise the check registered for its group and
 * kind decides, falling back to the generic kstatus check when there is none or it has no
 * opinion. Never throws: a check that throws yields Unknown with the error's message.
 *
 * @example
 * assessHealth(liveDeployment); // { status: 'Progressing', message: 'waiting for rollout ...' }
 */
export function assessHealth(obj: KubeObject | undefined, ctx: HealthContext = {}): HealthResult {
  if (obj === undefined) return result('Missing');
  try {
    const deleting = deletionHealth(obj);
    if (deleting) return deleting;
    const check = lookupHealthCheck(groupOf(str(obj.apiVersion) ?? ''), str(obj.kind) ?? '');
    return check?.(obj, ctx) ?? genericHealth(obj);
  } catch (err) {
    return result('Unknown', errorMessage(err) || 'health check failed');
  }
}
