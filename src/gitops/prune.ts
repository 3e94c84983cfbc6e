/**
 * Step 6: delete what left Git. Candidates are the previous inventory (and any object the watch
 * cache still sees with this app's tracking id) minus the current plan. An object is kept when
 * it carries `Prune=false`, or when its tracking id now names another app (it was adopted).
 * The delete is guarded by the live object's uid, so a re-created object is never hit.
 */
import type { InventoryEntry, ResourceResult } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import { resourceError } from './errors.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, type KubeObject, type ObjectRef } from '../kube/types.ts';
import {
  objectSyncOptions,
  optionDisabled,
  TRACKING_ANNOTATION,
  trackingId,
} from './annotations.ts';

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export function apiVersionOf(e: InventoryEntry): string {
  return e.group ? `${e.group}/${e.version}` : e.version;
}

/**
 * Why a live leftover must stay, or undefined when it may be deleted: it is tracked by another
 * app now (adopted) or by nobody, or it carries `Prune=false`.
 */
export function keepReason(
  live: KubeObject,
  ref: ObjectRef,
  app: { namespace: string; name: string },
): string | undefined {
  const owner = live.metadata.annotations?.[TRACKING_ANNOTATION];
  if (owner !== trackingId(app.namespace, app.name, ref)) {
    return `${formatRef(ref)} is now tracked by ${owner ?? 'nobody'}; not deleted`;
  }
  if (optionDisabled(objectSyncOptions(live), 'Prune')) {
    return 'Prune=false: left in place (delete it by hand if it should go)';
  }
  return undefined;
}

export async function pruneOne(
  kube: Kube,
  entry: InventoryEntry,
  app: { namespace: string; name: string },
  policy: PropagationPolicy,
): Promise<ResourceResult> {
  const ref: ObjectRef = {
    group: entry.group,
    kind: entry.kind,
    namespace: entry.namespace ?? '',
    name: entry.name,
  };
  const base = { ...entry };
  try {
    const live = await kube.get(apiVersionOf(entry), entry.kind, entry.namespace, entry.name);
    if (!live) return { ...base, action: 'pruned', message: 'already gone' };
    const kept = keepReason(live, ref, app);
    if (kept) return { ...base, action: 'pruneSkipped', message: kept };
    await kube.delete(live, {
      propagationPolicy: policy,
      ...(live.metadata.uid ? { uid: live.metadata.uid } : {}),
    });
    return { ...base, action: 'pruned', message: 'deleted: no longer in Git' };
  } catch (err) {
    return {
      ...base,
      action: 'failed',
      message: `prune failed: ${errorMessage(err)}`,
      reason: resourceError(ref, 'PruneFailed', err).reason,
    };
  }
}
