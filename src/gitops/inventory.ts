/**
 * The inventory: every object an app applied, kept in its status so that what leaves Git can be
 * pruned later. It must be exact and complete, and its size must not grow like the app's: a list
 * of 20,000 `{group, version, kind, namespace, name}` objects made the status write exceed etcd's
 * request limit. So it is stored compact (`status.compactInventory`, format v1):
 *
 * ```
 * data = base64(gzip(JSON [[group, version, kind, namespace, [name, ...]], ...]))
 * ```
 *
 * grouped by group/version/kind/namespace, groups and names sorted, so the same set always gives
 * the same bytes (no status write when nothing changed) and names that share prefixes compress
 * well (20,000 ConfigMaps `cm-00000`..`cm-19999`: about 60 KB). Read it by hand with
 * `kubectl get app NAME -o jsonpath='{.status.compactInventory.data}' | base64 -d | gunzip`.
 *
 * The previous format (`status.inventory`, a plain list) is still read: `readInventory` takes
 * either, and `writeInventory` replaces it with the compact one (migrate on read).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ApplicationStatus, CompactInventory, InventoryEntry } from '../api/application.ts';
import { errorMessage, SluiceError } from '../errors.ts';

/** One group of the v1 payload: `[group, version, kind, namespace, names]`. */
type Group = [string, string, string, string, string[]];

/** An inventory that cannot be read (edited by hand, or cut short). */
export class InventoryError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('InvalidInventory', message, {
      cause,
      hint:
        'was the status edited by hand? Remove the field (`kubectl patch application NAME ' +
        '--subresource status --type json -p \'[{"op":"remove","path":"/status/compactInventory"}]\'`); ' +
        'the objects it listed are still found by their sluice.dev/tracking-id annotation',
    });
    this.name = 'InventoryError';
  }
}

const groupKey = (e: InventoryEntry): string =>
  JSON.stringify([e.group, e.version, e.kind, e.namespace ?? '']);

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The compact form of `entries` (order and duplicates do not matter). */
export function compactInventory(entries: Iterable<InventoryEntry>): CompactInventory {
  const groups = new Map<string, Set<string>>();
  for (const e of entries) {
    const key = groupKey(e);
    let names = groups.get(key);
    if (!names) groups.set(key, (names = new Set()));
    names.add(e.name);
  }
  let count = 0;
  const payload: Group[] = [...groups.keys()].sort(compare).map((key) => {
    const [group, version, kind, namespace] = JSON.parse(key) as [string, string, string, string];
    const names = [...(groups.get(key) ?? [])].sort(compare);
    count += names.length;
    return [group, version, kind, namespace, names];
  });
  const data = gzipSync(JSON.stringify(payload)).toString('base64');
  return { format: 'v1', count, data };
}

const isString = (v: unknown): v is string => typeof v === 'string';

function isGroup(v: unknown): v is Group {
  return (
    Array.isArray(v) &&
    v.length === 5 &&
    v.slice(0, 4).every(isString) &&
    Array.isArray(v[4]) &&
    (v[4] as unknown[]).every(isString)
  );
}

/** The entries of a compact inventory; throws InventoryError when it cannot be read exactly. */
export function expandInventory(c: CompactInventory): InventoryEntry[] {
  if (c.format !== 'v1') throw new InventoryError(`unknown inventory format "${String(c.format)}"`);
  let payload: unknown;
  try {
    payload = JSON.parse(gunzipSync(Buffer.from(c.data, 'base64')).toString('utf8'));
  } catch (err) {
    throw new InventoryError(`the inventory data cannot be decoded: ${errorMessage(err)}`, err);
  }
  if (!Array.isArray(payload) || !payload.every(isGroup))
    throw new InventoryError(
      'the inventory data is not a list of [group, version, kind, namespace, names]',
    );
  const out: InventoryEntry[] = [];
  for (const [group, version, kind, namespace, names] of payload)
    for (const name of names)
      out.push({ group, version, kind, ...(namespace ? { namespace } : {}), name });
  if (out.length !== c.count)
    throw new InventoryError(
      `the inventory lists ${out.length} object(s) where its count says ${c.count}`,
    );
  return out;
}

/**
 * Everything the status says the app applied, from the compact inventory or, for a status
 * written by an earlier version, the plain list. Throws InventoryError when it cannot be read.
 */
export function readInventory(status: ApplicationStatus | undefined): InventoryEntry[] {
  if (status?.compactInventory) return expandInventory(status.compactInventory);
  return status?.inventory ?? [];
}

/** How many objects the inventory lists, without decoding it. */
export function inventorySize(status: ApplicationStatus | undefined): number {
  return status?.compactInventory?.count ?? status?.inventory?.length ?? 0;
}

/** Stores `entries` as the inventory, in the compact form (the old list goes); none: no field. */
export function writeInventory(status: ApplicationStatus, entries: Iterable<InventoryEntry>): void {
  delete status.inventory;
  const compact = compactInventory(entries);
  if (compact.count > 0) status.compactInventory = compact;
  else delete status.compactInventory;
}

/** The status without any inventory (an app that starts over on another cluster). */
export function withoutInventory(status: ApplicationStatus | undefined): ApplicationStatus {
  const { inventory: _old, compactInventory: _compact, ...rest } = status ?? {};
  return rest;
}
