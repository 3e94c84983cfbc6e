/**
 * Deleting an Application: with the `sluice.dev/resources-finalizer`, every object the app
 * manages (its inventory plus whatever the watch cache finds with its tracking id) is pruned;
 * once they are gone the finalizer is removed and the Application goes. A failure keeps the
 * finalizer and says which objects could not be deleted.
 *
 * A cascade over thousands of objects takes a while (the deletes, then the garbage collector
 * finishing foreground deletions), so it reports how far it is, in the status and in the log:
 * the Ready (False) and Reconciling (True) conditions (reason `Deleting`, message
 * `deleting: 3120/5000 objects`, which `sluice app delete` prints) and
 * `status.deletion` ({total, remaining}), every 2 s while the deletes are sent and at each
 * reconcile while the objects go. The first pass deletes everything; later passes (the Ready
 * reason says `Deleting`) count what the watch cache still holds and delete again only what is
 * there without a deletionTimestamp. Before letting go, each object is checked with a GET.
 */
import type { Application, ApplicationStatus, InventoryEntry } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { mapLimit } from '../util/semaphore.ts';
import { cascades, isCascadeFinalizer } from './annotations.ts';
import { entryKey } from './compare.ts';
import { getCondition, removeCondition, setCondition } from './conditions.ts';
import { readInventory } from './inventory.ts';
import type { LiveState } from './live.ts';
import { ProgressCounter } from './progress.ts';
import { apiVersionOf, pruneOne } from './prune.ts';
import { failuresMessage } from './summary.ts';

export interface Finalized {
  /** A status to write (progress, or what could not be deleted). */
  status?: ApplicationStatus;
  requeueAfterMs?: number;
}

export interface FinalizeOptions {
  concurrency?: number;
  now: () => Date;
  /** A long delete reports here every 2 s (a status to write, and a line to log). */
  onProgress?: (status: ApplicationStatus, message: string) => void;
}

interface Target {
  kube: Kube;
  live: LiveState;
}

/**
 * The status saying how far the delete is: Ready=False Deleting, `deleting: 3120/5000 objects`
 * (gone of all), and while the deletes are being sent how many were; and `status.deletion`.
 */
export function deletingStatus(
  status: ApplicationStatus | undefined,
  total: number,
  remaining: number,
  now: Date,
  sending?: { sent: number; of: number },
): { status: ApplicationStatus; message: string } {
  const sent = sending ? `; ${sending.sent}/${sending.of} deletes sent` : '';
  const message = `deleting: ${total - remaining}/${total} objects${sent}`;
  const next = structuredClone(status ?? {});
  const at = now.toISOString();
  const ready = setCondition(next.conditions ?? [], 'Ready', 'False', 'Deleting', message, at);
  next.conditions = setCondition(ready, 'Reconciling', 'True', 'Deleting', message, at);
  next.deletion = { total, remaining };
  return { status: next, message };
}

/** What the app manages: its inventory and what the cache sees with its tracking id. */
function managed(app: Application, live: LiveState): Map<string, InventoryEntry> {
  const entries = new Map<string, InventoryEntry>();
  for (const e of [
    ...readInventory(app.status),
    ...live.trackedBy(app.metadata.namespace, app.metadata.name),
  ])
    entries.set(entryKey(e), e);
  return entries;
}

/** Entries the watch cache still holds, and of those the ones not being deleted yet. */
async function stillThere(
  entries: Iterable<InventoryEntry>,
  live: LiveState,
): Promise<{ present: InventoryEntry[]; alive: InventoryEntry[] }> {
  const present: InventoryEntry[] = [];
  const alive: InventoryEntry[] = [];
  for (const e of entries) {
    const obj = await live.get(apiVersionOf(e), e.kind, e.namespace, e.name);
    if (!obj) continue;
    present.push(e);
    if (!obj.metadata.deletionTimestamp) alive.push(e);
  }
  return { present, alive };
}

function failedStatus(app: Application, message: string, now: Date): Finalized {
  const status = structuredClone(app.status ?? {});
  // Not progressing any more: what Ready says is what a person must read.
  status.conditions = setCondition(
    removeCondition(status.conditions ?? [], 'Reconciling'),
    'Ready',
    'False',
    'PruneFailed',
    message,
    now.toISOString(),
  );
  return { status, requeueAfterMs: 5000 };
}

export async function finalizeApp(
  app: Application,
  local: Kube,
  target: Target,
  options: FinalizeOptions,
): Promise<Finalized> {
  if (!cascades(app)) return {};
  const now = options.now;
  let entries: Map<string, InventoryEntry>;
  try {
    entries = managed(app, target.live);
  } catch (err) {
    const name = `${app.metadata.namespace}/${app.metadata.name}`;
    return failedStatus(app, `Application ${name}: ${errorMessage(err)}`, now());
  }
  const total = entries.size;
  const again = getCondition(app.status?.conditions, 'Ready')?.reason === 'Deleting';
  const toDelete = again
    ? (await stillThere(entries.values(), target.live)).alive
    : [...entries.values()];
  // While the deletes go out, report every 2 s how many objects are gone (from the cache).
  const reports: Array<Promise<void>> = [];
  const report = async (sent: number): Promise<void> => {
    const { present } = await stillThere(entries.values(), target.live);
    const r = deletingStatus(app.status, total, present.length, now(), {
      sent,
      of: toDelete.length,
    });
    options.onProgress?.(r.status, r.message);
  };
  const counter = new ProgressCounter(
    toDelete.length,
    (sent) => reports.push(report(sent)),
    () => now().getTime(),
  );
  const owner = { namespace: app.metadata.namespace, name: app.metadata.name };
  const results = await mapLimit(
    toDelete,
    options.concurrency ?? 16,
    counter.wrap((e: InventoryEntry) => pruneOne(target.kube, e, owner, 'Foreground')),
  );
  await Promise.all(reports);
  const failed = results.filter((r) => r.action === 'failed');
  if (failed.length > 0)
    return failedStatus(app, failuresMessage('could not be deleted', failed), now());
  // Wait until the deleted objects are gone before releasing the Application.
  const skipped = new Set(
    results.filter((r) => r.action === 'pruneSkipped').map((r) => entryKey(r)),
  );
  const waiting = [...entries.values()].filter((e) => !skipped.has(entryKey(e)));
  const { present } = await stillThere(waiting, target.live);
  if (present.length > 0) {
    const r = deletingStatus(app.status, total, present.length, now());
    options.onProgress?.(r.status, r.message);
    return { status: r.status, requeueAfterMs: 1000 };
  }
  // The cache sees none of them: make sure, with a GET each (an object whose label was removed
  // is not in the cache: delete it now if nothing did).
  const found = await mapLimit(waiting, options.concurrency ?? 16, async (e) => {
    const obj = await target.kube.get(apiVersionOf(e), e.kind, e.namespace, e.name);
    if (obj && !obj.metadata.deletionTimestamp) await pruneOne(target.kube, e, owner, 'Foreground');
    return obj !== undefined;
  });
  const left = found.filter(Boolean).length;
  if (left > 0)
    return { status: deletingStatus(app.status, total, left, now()).status, requeueAfterMs: 1000 };
  await removeFinalizer(local, app);
  return {};
}

/** Lets the Application go (on the local cluster, where it lives). */
export async function removeFinalizer(local: Kube, app: Application): Promise<void> {
  const finalizers = (app.metadata.finalizers ?? []).filter((f) => !isCascadeFinalizer(f));
  await local.mergePatch(app, {
    metadata: { finalizers, resourceVersion: app.metadata.resourceVersion },
  });
}
