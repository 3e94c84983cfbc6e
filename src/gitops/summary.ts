/**
 * Bounded per-object detail in the status. `status.resources` lists at most RESOURCE_LIST_LIMIT
 * objects, the ones a person needs first (out of sync, needing pruning, not Healthy, hooks), then
 * the others in plan order; `status.summary` counts every object by sync status and health and
 * says `truncated: true` when the list is not all of them. Messages listing objects name a few
 * and count the rest (`someOf`), so no status field grows with the app.
 */
import type {
  HealthStatus,
  ResourceResult,
  ResourceStatus,
  ResourceSummary,
  SyncStatus,
} from '../api/application.ts';

/** How many objects `status.resources` and `syncResult.resources` list at most. */
export const RESOURCE_LIST_LIMIT = 500;

/** Longest message kept for one object (a failure's message with its hint fits). */
export const MESSAGE_LIMIT = 1000;

/** Whether a person needs to see this object first. */
export function needsAttention(r: ResourceStatus): boolean {
  return (
    r.requiresPruning === true ||
    r.hook !== undefined ||
    (r.status !== undefined && r.status !== 'Synced') ||
    (r.health !== undefined && r.health.status !== 'Healthy')
  );
}

function count<K extends string>(into: Partial<Record<K, number>>, key: K | undefined): void {
  if (key !== undefined) into[key] = (into[key] ?? 0) + 1;
}

/** `text`, cut to `limit` characters with a note of how much was left out. */
export function clip(text: string, limit = MESSAGE_LIMIT): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

/**
 * `items` joined with `sep`, at most `shown` of them, then "and N more": messages that name the
 * objects involved without growing with their number.
 */
export function someOf(items: readonly string[], shown = 5, sep = ', '): string {
  if (items.length <= shown) return items.join(sep);
  return `${items.slice(0, shown).join(sep)}${sep}and ${items.length - shown} more`;
}

/** "3 object(s) failed to apply: a; b; c": the first few messages, and how many more. */
export function failuresMessage(what: string, bad: readonly ResourceResult[]): string {
  const messages = bad.map((f) => f.message ?? f.name);
  return clip(`${bad.length} object(s) ${what}: ${someOf(messages, 5, '; ')}`);
}

/**
 * At most `limit` of `all` (those needing attention first, then in order; the kept ones stay in
 * their original order) and the counts over all of them.
 */
export function capResources(
  all: readonly ResourceStatus[],
  limit = RESOURCE_LIST_LIMIT,
): { resources: ResourceStatus[]; summary: ResourceSummary } {
  const sync: Partial<Record<SyncStatus, number>> = {};
  const health: Partial<Record<HealthStatus, number>> = {};
  for (const r of all) {
    count(sync, r.status);
    count(health, r.health?.status);
  }
  const summary: ResourceSummary = { total: all.length, sync, health };
  if (all.length <= limit) return { resources: all.map(clipHealth), summary };
  const keep = new Set<number>();
  for (const [i, r] of all.entries()) if (keep.size < limit && needsAttention(r)) keep.add(i);
  for (let i = 0; i < all.length && keep.size < limit; i++) keep.add(i);
  const resources = all.filter((_, i) => keep.has(i)).map(clipHealth);
  return { resources, summary: { ...summary, truncated: true } };
}

function clipHealth(r: ResourceStatus): ResourceStatus {
  const message = r.health?.message;
  if (!r.health || message === undefined || message.length <= MESSAGE_LIMIT) return r;
  return { ...r, health: { ...r.health, message: clip(message) } };
}

/** "5000 Synced, 3 OutOfSync" from a count map (most first). */
export function formatCounts(
  counts: Readonly<Partial<Record<string, number>>> | undefined,
): string {
  return Object.entries(counts ?? {})
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}
