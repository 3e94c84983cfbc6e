/**
 * Secret values never reach a diff, a log, an event or an API response. Values are replaced by
 * placeholders that still show *whether* a key changed: equal values get the same placeholder,
 * different values get different ones (as Argo CD does), and nothing of the value leaks.
 */
import { isRecord, type KubeObject } from '../kube/types.ts';

const SAME = '++++++++';
const DESIRED = '+++++++++';
const LIVE = '++++++++++';

function maskMap(target: unknown, other: unknown, changed: string): void {
  if (!isRecord(target)) return;
  for (const k of Object.keys(target)) {
    const same = isRecord(other) && other[k] === target[k];
    target[k] = same ? SAME : changed;
  }
}

function isSecret(o: KubeObject | undefined): boolean {
  return o?.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === '/v1');
}

/** Masked copies of a desired/live pair (either may be missing). */
export function maskSecretPair(
  desired: KubeObject | undefined,
  live: KubeObject | undefined,
): { desired: KubeObject | undefined; live: KubeObject | undefined } {
  if (!isSecret(desired) && !isSecret(live)) return { desired, live };
  const d = desired ? structuredClone(desired) : undefined;
  const l = live ? structuredClone(live) : undefined;
  for (const field of ['data', 'stringData']) {
    // Compare against the untouched originals: the copies are masked in place.
    if (d) maskMap(d[field], live?.[field], DESIRED);
    if (l) maskMap(l[field], desired?.[field], LIVE);
  }
  const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
  for (const o of [d, l])
    if (o?.metadata.annotations?.[lastApplied]) o.metadata.annotations[lastApplied] = SAME;
  return { desired: d, live: l };
}

/** A masked copy of one object (for logs and API responses). */
export function maskSecret(obj: KubeObject): KubeObject {
  return maskSecretPair(obj, undefined).desired ?? obj;
}
