/**
 * Retention: which runs to delete (with their tasks and logs). Pure; the store lists the
 * candidates and deletes what this selects.
 *
 * Defaults (DEFAULT_RETENTION): runs are kept 30 days after they finish, and at most the newest
 * 100 finished runs per namespace and pipeline (runs of inline specs count under pipeline ''; a
 * standalone TaskRun counts under its Task); the policy is applied every hour. A run that never
 * finished (its controller was lost) is deleted once it was created longer ago than the age
 * limit; runs in progress never count toward the per-pipeline limit. 0 turns a limit off.
 */
import type { RetentionPolicy, RunKind } from './types.ts';

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeDays: 30,
  maxRunsPerPipeline: 100,
  intervalMs: 60 * 60 * 1000,
};

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionCandidate {
  id: number;
  kind: RunKind;
  namespace: string;
  pipeline: string;
  finished: boolean;
  /** Epoch ms. */
  createdAt: number;
  completedAt?: number | undefined;
}

export interface RetentionSelection {
  byAge: number[];
  byCount: number[];
}

/** The policy with defaults filled in, checked. */
export function retentionPolicy(policy: Partial<RetentionPolicy> = {}): RetentionPolicy {
  const p = { ...DEFAULT_RETENTION, ...policy } satisfies RetentionPolicy;
  for (const [k, v] of Object.entries(p))
    if (!Number.isFinite(v) || v < 0)
      throw new RangeError(`retention ${k} must be a number >= 0, got ${v}`);
  return p;
}

/** The runs to delete under `policy` at `now` (epoch ms): each id once, by age first. */
export function selectExpired(
  runs: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: number,
): RetentionSelection {
  const byAge = new Set<number>();
  if (policy.maxAgeDays > 0) {
    const oldest = now - policy.maxAgeDays * DAY_MS;
    for (const r of runs) {
      const at = r.finished ? (r.completedAt ?? r.createdAt) : r.createdAt;
      if (at < oldest) byAge.add(r.id);
    }
  }
  const byCount: number[] = [];
  if (policy.maxRunsPerPipeline > 0) {
    const groups = new Map<string, RetentionCandidate[]>();
    for (const r of runs) {
      if (!r.finished) continue;
      const key = JSON.stringify([r.namespace, r.kind, r.pipeline]);
      const group = groups.get(key) ?? [];
      group.push(r);
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      // Newest first: by completion, then creation, then id (later inserts are newer).
      group.sort(
        (a, b) =>
          (b.completedAt ?? b.createdAt) - (a.completedAt ?? a.createdAt) ||
          b.createdAt - a.createdAt ||
          b.id - a.id,
      );
      for (const r of group.slice(policy.maxRunsPerPipeline))
        if (!byAge.has(r.id)) byCount.push(r.id);
    }
  }
  return { byAge: [...byAge], byCount: byCount.sort((a, b) => a - b) };
}
