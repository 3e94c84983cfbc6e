/**
 * Deleting an Application: with the `sluice.dev/resources-finalizer`, every object the app
 * manages (its inventory plus whatever the watch cache finds with its tracking id) is pruned;
 * once they are gone the finalizer is removed and the Application goes. A failure keeps the
 * finalizer and says which objects could not be deleted.
 */
import type { Application, ApplicationStatus, InventoryEntry } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { mapLimit } from '../util/semaphore.ts';
import { FINALIZER } from './annotations.ts';
import { entryKey } from './compare.ts';
import { setCondition } from './conditions.ts';
import type { LiveState } from './live.ts';
import { apiVersionOf, pruneOne } from './prune.ts';

export interface Finalized {
  /** A status to write (when something could not be deleted). */
  status?: ApplicationStatus;
  requeueAfterMs?: number;
}

export async function finalizeApp(
  app: Application,
  local: Kube,
  target: { kube: Kube; live: LiveState },
  concurrency: number | undefined,
  now: Date,
): Promise<Finalized> {
  const kube = target.kube;
  if (!app.metadata.finalizers?.includes(FINALIZER)) return {};
  const entries = new Map<string, InventoryEntry>();
  for (const e of [
    ...(app.status?.inventory ?? []),
    ...target.live.trackedBy(app.metadata.namespace, app.metadata.name),
  ])
    entries.set(entryKey(e), e);
  const owner = { namespace: app.metadata.namespace, name: app.metadata.name };
  const results = await mapLimit([...entries.values()], concurrency ?? 16, (e) =>
    pruneOne(kube, e, owner, 'Foreground'),
  );
  const failed = results.filter((r) => r.action === 'failed');
  if (failed.length > 0) {
    const status = structuredClone(app.status ?? {});
    status.conditions = setCondition(
      status.conditions ?? [],
      'Ready',
      'False',
      'PruneFailed',
      failed.map((f) => f.message).join('; '),
      now.toISOString(),
    );
    return { status, requeueAfterMs: 5000 };
  }
  // Wait until the pruned objects are gone before releasing the Application.
  const skipped = new Set(
    results.filter((r) => r.action === 'pruneSkipped').map((r) => entryKey(r)),
  );
  for (const e of entries.values()) {
    if (skipped.has(entryKey(e))) continue;
    if (await kube.get(apiVersionOf(e), e.kind, e.namespace, e.name))
      return { requeueAfterMs: 1000 };
  }
  await removeFinalizer(local, app);
  return {};
}

/** Lets the Application go (on the local cluster, where it lives). */
export async function removeFinalizer(local: Kube, app: Application): Promise<void> {
  const finalizers = (app.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await local.mergePatch(app, {
    metadata: { finalizers, resourceVersion: app.metadata.resourceVersion },
  });
}
