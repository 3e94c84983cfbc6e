/**
 * Which commits a Trigger acts on (pure): the refs its branch and tag filters select, what a
 * check of the repository found new since the last one (`planCheck`), and whether a commit's
 * changed files pass the path filters (`pathsDecision`).
 *
 * A check compares the repository's refs with the last commit handled per ref (the Trigger's
 * status): a ref that moved is an event; a ref seen for the first time is an event too (a new
 * branch), except when the trigger starts watching (first check, another repository, changed
 * filters): what is already there then is only recorded (the baseline), never run.
 */
import { createHash } from 'node:crypto';
import type { TriggerRefStatus, TriggerSpec } from '../../api/trigger.ts';
import { matchList } from './glob.ts';

export const HEADS = 'refs/heads/';
export const TAGS = 'refs/tags/';
/** At most this many refs are watched per trigger (the status stays bounded). */
export const MAX_REFS = 1000;

/** A branch or tag ref split into its kind and short name. */
export function splitRef(ref: string): { kind: 'branch' | 'tag' | 'other'; name: string } {
  if (ref.startsWith(HEADS)) return { kind: 'branch', name: ref.slice(HEADS.length) };
  if (ref.startsWith(TAGS)) return { kind: 'tag', name: ref.slice(TAGS.length) };
  return { kind: 'other', name: ref };
}

/** Does the trigger's branch/tag filter select `ref`? Neither set: every branch and tag. */
export function refWanted(spec: Pick<TriggerSpec, 'branches' | 'tags'>, ref: string): boolean {
  const { kind, name } = splitRef(ref);
  if (kind === 'other') return false;
  if (spec.branches === undefined && spec.tags === undefined) return true;
  const list = kind === 'branch' ? spec.branches : spec.tags;
  return list !== undefined && list.length > 0 && matchList(list, name);
}

/** A short hash of what decides which refs are watched: a change starts a new baseline. */
export function filtersHash(spec: Pick<TriggerSpec, 'branches' | 'tags'>): string {
  const text = JSON.stringify([spec.branches ?? null, spec.tags ?? null]);
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export interface NewCommit {
  ref: string;
  commit: string;
  /** The commit last handled on this ref; none for a new ref. */
  previous?: string;
}

export interface CheckPlan {
  /** Refs recorded as they are, without a run. */
  baseline: Array<{ ref: string; commit: string }>;
  /** New commits to act on, in ref order. */
  events: NewCommit[];
  /** Refs that went away (or no longer pass the filters): forgotten. */
  gone: string[];
  /** Wanted refs beyond MAX_REFS, not watched. */
  ignored: number;
}

export interface CheckInput {
  spec: Pick<TriggerSpec, 'branches' | 'tags'>;
  /** ref -> commit, as the repository has them now (tags peeled). */
  remote: ReadonlyMap<string, string>;
  /** What the status records, when it was recorded for this repository; else undefined. */
  known: readonly TriggerRefStatus[] | undefined;
  /** The filters changed since `known` was recorded: refs new to it are a baseline. */
  filtersChanged: boolean;
}

/** What one check of the repository found. */
export function planCheck(input: CheckInput): CheckPlan {
  const wanted = [...input.remote.entries()]
    .filter(([ref]) => refWanted(input.spec, ref))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const watched = wanted.slice(0, MAX_REFS);
  const plan: CheckPlan = {
    baseline: [],
    events: [],
    gone: [],
    ignored: wanted.length - watched.length,
  };
  const known = new Map((input.known ?? []).map((r) => [r.ref, r]));
  for (const [ref, commit] of watched) {
    const last = known.get(ref);
    if (input.known === undefined || (!last && input.filtersChanged))
      plan.baseline.push({ ref, commit });
    else if (!last) plan.events.push({ ref, commit });
    else if (last.commit !== commit) plan.events.push({ ref, commit, previous: last.commit });
  }
  const kept = new Set(watched.map(([ref]) => ref));
  plan.gone = [...known.keys()].filter((ref) => !kept.has(ref));
  return plan;
}

export type PathsDecision = { run: true } | { run: false; reason: string };

/**
 * Do the changed files pass `paths` / `pathsIgnore`? Tags are not filtered by path (as GitHub
 * Actions); no filter at all always runs.
 */
export function pathsDecision(
  spec: Pick<TriggerSpec, 'paths' | 'pathsIgnore'>,
  ref: string,
  files: readonly string[],
): PathsDecision {
  if (splitRef(ref).kind === 'tag') return { run: true };
  const paths = spec.paths ?? [];
  const ignore = spec.pathsIgnore ?? [];
  if (paths.length === 0 && ignore.length === 0) return { run: true };
  if (files.length === 0) return { run: false, reason: 'no file changed' };
  if (paths.length > 0 && !files.some((f) => matchList(paths, f)))
    return { run: false, reason: `no changed file matches paths (${files.length} changed)` };
  if (ignore.length > 0 && files.every((f) => ignore.some((p) => matchList([p], f))))
    return { run: false, reason: `every changed file matches pathsIgnore (${files.length})` };
  return { run: true };
}
