/**
 * A sync operation's results, bounded: `syncResult.counts` counts every object by action and
 * `syncResult.total` says how many had a result, while `syncResult.resources` lists at most
 * RESOURCE_LIST_LIMIT of them (plus the hooks, which are few and are updated as they run). When
 * the list is full, a more telling result takes the place of a less telling one: failures first,
 * then changes (created, configured, pruned, skipped), then `unchanged`; `truncated: true` says
 * that the list is not all of them.
 *
 * The log is saved in status between the steps of a running operation and read back by the next
 * step; a result saved by an earlier version (a full list, no counts) is counted from its list.
 * Only hooks are recorded twice under one key (Running, then Succeeded), and hooks always stay
 * listed, so the counts stay exact.
 */
import type { ResourceResult, ResultAction, SyncResult } from '../api/application.ts';
import { clip, formatCounts, RESOURCE_LIST_LIMIT } from './summary.ts';

export const resultKey = (r: ResourceResult): string =>
  `${r.group}/${r.kind}/${r.namespace ?? ''}/${r.name}/${r.hook ?? ''}`;

/** 0: failed; 1: a change; 2: unchanged. Lower ranks are kept first. */
function rank(r: ResourceResult): 0 | 1 | 2 {
  if (r.action === 'failed') return 0;
  return r.action === 'unchanged' ? 2 : 1;
}

type Counts = Partial<Record<ResultAction, number>>;

function countsOf(results: readonly ResourceResult[]): Counts {
  const counts: Counts = {};
  for (const r of results) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}

const sum = (counts: Counts): number =>
  Object.values(counts).reduce((a: number, n) => a + (n ?? 0), 0);

export class ResultLog {
  private readonly listed = new Map<string, ResourceResult>();
  /** Keys of listed results (not hooks) by rank, latest last: the first to give way. */
  private readonly ranks: [string[], string[], string[]] = [[], [], []];
  private readonly counts: Counts;
  private total: number;
  private readonly limit: number;

  constructor(saved?: SyncResult, limit = RESOURCE_LIST_LIMIT) {
    this.limit = limit;
    const resources = saved?.resources ?? [];
    for (const r of resources) this.list(resultKey(r), r);
    this.counts = saved?.counts ? { ...saved.counts } : countsOf(resources);
    this.total = saved?.total ?? sum(this.counts);
  }

  private get listedObjects(): number {
    return this.ranks[0].length + this.ranks[1].length + this.ranks[2].length;
  }

  private list(key: string, r: ResourceResult): void {
    this.listed.set(key, r);
    if (!r.hook) this.ranks[rank(r)].push(key);
  }

  private unlist(key: string): void {
    const r = this.listed.get(key);
    if (!r) return;
    this.listed.delete(key);
    if (r.hook) return;
    const keys = this.ranks[rank(r)];
    const i = keys.lastIndexOf(key);
    if (i >= 0) keys.splice(i, 1);
  }

  private bump(action: ResultAction, by: number): void {
    this.counts[action] = (this.counts[action] ?? 0) + by;
    if (this.counts[action] === 0) delete this.counts[action];
  }

  record(...results: ResourceResult[]): void {
    for (const result of results) {
      const r = result.message ? { ...result, message: clip(result.message) } : result;
      const key = resultKey(r);
      const old = this.listed.get(key);
      if (old) {
        this.bump(old.action, -1);
        this.bump(r.action, 1);
        this.unlist(key);
        this.list(key, r);
        continue;
      }
      this.total++;
      this.bump(r.action, 1);
      if (r.hook || this.listedObjects < this.limit) this.list(key, r);
      else this.replaceLessTelling(key, r);
    }
  }

  /** The list is full: `r` takes the place of the latest less telling result, if any. */
  private replaceLessTelling(key: string, r: ResourceResult): void {
    for (let worse = 2; worse > rank(r); worse--) {
      const victim = this.ranks[worse as 1 | 2].at(-1);
      if (victim === undefined) continue;
      this.unlist(victim);
      this.list(key, r);
      return;
    }
  }

  /** The listed results (all of them unless truncated). */
  get resources(): ResourceResult[] {
    return [...this.listed.values()];
  }

  /** "5000 created, 2 failed" */
  summary(): string {
    return formatCounts(this.counts);
  }

  /** What `status.operationState.syncResult` holds. */
  syncResult(revision: string): SyncResult {
    const resources = this.resources;
    return {
      revision,
      resources,
      counts: { ...this.counts },
      total: this.total,
      ...(resources.length < this.total ? { truncated: true } : {}),
    };
  }
}
