/**
 * The one wait that is still a short poll: after deleting the previous run of a hook
 * (BeforeHookCreation), its name must be free before the new run is created. Jobs deleted in
 * the background go within a request or two; the bound keeps a stuck finalizer from holding the
 * worker long. Everything else a sync waits for (hooks, waves settling, CRDs) is a step that the
 * watch cache wakes up (operation.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

/** Polls until the object is gone; false after `timeoutMs`. */
export async function waitGone(
  kube: Kube,
  target: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let interval = 50;
  while (Date.now() < deadline) {
    const live = await kube.get(
      target.apiVersion,
      target.kind,
      target.metadata.namespace,
      target.metadata.name ?? '',
    );
    if (!live || (target.metadata.uid && live.metadata.uid !== target.metadata.uid)) return true;
    await sleep(interval);
    interval = Math.min(interval * 2, 500);
  }
  return false;
}
