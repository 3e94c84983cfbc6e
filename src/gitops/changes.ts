/**
 * The diff as data (as Flux's ChangeSet): one entry per object, saying what a sync would do to
 * it, with the desired and live objects (Secret values masked) and the paths of the fields that
 * differ. `sluice app diff -o json|yaml` prints it; anything that renders a diff (CLI, API, UI)
 * can start from the same list. Pure: the comparison and the live objects come in.
 *
 * `changedPaths` are JSON pointers (RFC 6901) into the object after normalisation (server-owned
 * metadata, status and `ignoreDifferences` removed, as for the in-sync decision). For an object
 * that is created or deleted as a whole the path is `""`, the whole document.
 */
import type { IgnoreDifference, InventoryEntry, ResultReason } from '../api/application.ts';
import { isRecord, type KubeObject } from '../kube/types.ts';
import type { ResourceDiff } from './diff.ts';
import { maskSecretPair } from './mask.ts';
import { ignoredPointers, jsonEqual, normalize, rulesFor, stripNoise } from './normalize.ts';

export const CHANGE_ACTIONS = ['create', 'update', 'delete', 'unchanged', 'error'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export interface Change {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  action: ChangeAction;
  /** What the server would store (the dry-run result), normalised and masked. */
  desired?: KubeObject;
  /** What runs, normalised and masked. */
  live?: KubeObject;
  changedPaths: string[];
  /** Why the object could not be compared (action `error`); names the object. */
  error?: string;
  /** The same, as data: `DryRunFailed`, `ClaimedByAnotherApp`, ... */
  reason?: ResultReason;
  hint?: string;
}

/** An object the app manages that left Git, with its live state (undefined when already gone). */
export interface PruneTarget {
  entry: InventoryEntry;
  live: KubeObject | undefined;
}

const WHOLE = '';

const escapeToken = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON pointers of the leaves where `a` and `b` differ (key order ignored), sorted. */
export function changedPaths(a: unknown, b: unknown, at = WHOLE): string[] {
  if (jsonEqual(a, b)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], `${at}/${escapeToken(k)}`));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => changedPaths(a[i], b[i], `${at}/${i}`)).flat();
  }
  return [at];
}

function actionOf(d: ResourceDiff): ChangeAction {
  if (d.error) return 'error';
  if (d.inSync) return 'unchanged';
  return d.live ? 'update' : 'create';
}

/** One desired object's entry. */
export function changeOf(d: ResourceDiff, rules: readonly IgnoreDifference[] | undefined): Change {
  const { ref, version } = d.resource;
  const pointers = ignoredPointers(rulesFor(rules, ref), d.live);
  const desired = normalize(d.predicted ?? d.desired ?? d.resource.object, pointers);
  const live = d.live ? normalize(d.live, pointers) : undefined;
  const action = actionOf(d);
  const paths =
    action === 'create' ? [WHOLE] : action === 'update' ? changedPaths(live, desired) : [];
  const masked = maskSecretPair(desired, live);
  return {
    group: ref.group,
    version,
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    action,
    ...(masked.desired ? { desired: masked.desired } : {}),
    ...(masked.live ? { live: masked.live } : {}),
    changedPaths: paths,
    ...(d.error
      ? {
          error: d.error.message,
          reason: d.error.reason,
          ...(d.error.hint ? { hint: d.error.hint } : {}),
        }
      : {}),
  };
}

/** A prune candidate's entry: deleted by a sync with prune. */
export function pruneChange(p: PruneTarget): Change {
  const live = p.live ? maskSecretPair(undefined, stripNoise(p.live)).live : undefined;
  return {
    group: p.entry.group,
    version: p.entry.version,
    kind: p.entry.kind,
    ...(p.entry.namespace ? { namespace: p.entry.namespace } : {}),
    name: p.entry.name,
    action: 'delete',
    ...(live ? { live } : {}),
    changedPaths: [WHOLE],
  };
}

/** Every object of a comparison, in the plan's order, then what would be pruned. */
export function buildChanges(
  diffs: Iterable<ResourceDiff>,
  prune: readonly PruneTarget[],
  rules: readonly IgnoreDifference[] | undefined,
): Change[] {
  return [...[...diffs].map((d) => changeOf(d, rules)), ...prune.map(pruneChange)];
}
