/**
 * The four keys from deployment records, as a pure function of the records and the window
 * (after dora-team/fourkeys, with these choices):
 *
 * - **Deployments** are the records deployed in the window, rollbacks left out (a rollback
 *   restores; it is no change of its own). Failed ones count: each was a change that reached
 *   production and failed there.
 * - **Deployment frequency**: deployments / days of the window (and × 7 per week).
 * - **Lead time for changes**: for every commit a deployment brought (each commit once per
 *   deployment, as fourkeys does), the time from its committer time (the source commit's, for a
 *   deploy commit naming it: changes.ts) to when that deployment ran Synced and Healthy; the
 *   median over all of them. Deployments that never ran (their sync failed, their Rollout
 *   aborted) bring no lead time: their commits count with the deployment that does run them. A
 *   negative difference (clock skew) counts as 0.
 * - **Change failure rate**: failed deployments / deployments.
 * - **Time to restore** (DORA 2023: failed deployment recovery time): for each failed
 *   deployment the next good deployment restored, restored − deployed; the median. Failures not
 *   restored yet are counted apart.
 *
 * Every figure is null when there is nothing to measure (no deployments, no changes, no failure
 * restored), and so is its band.
 */
import type { DeploymentRecord } from '../../pipelines/store/index.ts';
import { failureRateBand, frequencyBand, leadTimeBand, restoreBand, type Band } from './bands.ts';

export interface DoraWindow {
  /** RFC 3339. */
  since: string;
  until: string;
}

export interface DoraFilter {
  environment?: string | undefined;
  /** `name` or `namespace/name`. */
  app?: string | undefined;
}

export interface DoraReport {
  window: DoraWindow & { days: number };
  filter: DoraFilter;
  deployments: { total: number; succeeded: number; failed: number; rollbacks: number };
  deploymentFrequency: { perDay: number; perWeek: number; band: Band | null };
  leadTime: { medianSeconds: number | null; changes: number; band: Band | null };
  changeFailureRate: {
    rate: number | null;
    failed: number;
    deployments: number;
    band: Band | null;
  };
  timeToRestore: {
    medianSeconds: number | null;
    restored: number;
    unrestored: number;
    band: Band | null;
  };
}

const DAY_MS = 86_400_000;

/** The median of `values` (the mean of the middle two for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

const ms = (time: string | undefined): number | undefined => {
  if (time === undefined) return undefined;
  const t = Date.parse(time);
  return Number.isFinite(t) ? t : undefined;
};

/** Lead times (seconds) of every commit of the deployments that ran. */
export function leadTimes(deployments: readonly DeploymentRecord[]): number[] {
  const out: number[] = [];
  for (const d of deployments) {
    const ran = ms(d.healthyAt);
    if (ran === undefined) continue;
    for (const c of d.commits) {
      const at = ms(c.committedAt);
      if (at !== undefined) out.push(Math.max(0, (ran - at) / 1000));
    }
  }
  return out;
}

/** Restore times (seconds) of the failed deployments that were restored. */
export function restoreTimes(deployments: readonly DeploymentRecord[]): number[] {
  const out: number[] = [];
  for (const d of deployments) {
    const restored = ms(d.restoredAt);
    const deployed = ms(d.deployedAt);
    if (d.outcome === 'Failed' && restored !== undefined && deployed !== undefined)
      out.push(Math.max(0, (restored - deployed) / 1000));
  }
  return out;
}

/** Does the record match the filter (environment, app as `name` or `namespace/name`)? */
export function matches(d: DeploymentRecord, f: DoraFilter): boolean {
  if (f.environment !== undefined && d.environment !== f.environment) return false;
  if (f.app === undefined) return true;
  return f.app.includes('/') ? `${d.namespace}/${d.app}` === f.app : d.app === f.app;
}

/**
 * The four keys over the deployments of `records` deployed within the window that match the
 * filter.
 *
 * @example
 * const report = computeDora(await store.deployments.list({ since, until }), { since, until }, { environment: 'prod' });
 * report.leadTime.medianSeconds; // 5400
 */
export function computeDora(
  records: readonly DeploymentRecord[],
  window: DoraWindow,
  filter: DoraFilter = {},
): DoraReport {
  const from = Date.parse(window.since);
  const to = Date.parse(window.until);
  const inWindow = records.filter((d) => {
    const t = ms(d.deployedAt);
    return t !== undefined && t >= from && t <= to && matches(d, filter);
  });
  const changes = inWindow.filter((d) => !d.rollback);
  const failed = changes.filter((d) => d.outcome === 'Failed');
  const days = Math.max((to - from) / DAY_MS, 1 / 24);
  const perDay = changes.length / days;
  const leads = leadTimes(changes);
  const lead = median(leads);
  const rate = changes.length === 0 ? null : failed.length / changes.length;
  const restores = restoreTimes(failed);
  const restore = median(restores);
  return {
    window: { ...window, days },
    filter,
    deployments: {
      total: changes.length,
      succeeded: changes.length - failed.length,
      failed: failed.length,
      rollbacks: inWindow.length - changes.length,
    },
    deploymentFrequency: {
      perDay,
      perWeek: perDay * 7,
      band: changes.length === 0 ? null : frequencyBand(perDay),
    },
    leadTime: {
      medianSeconds: lead,
      changes: leads.length,
      band: lead === null ? null : leadTimeBand(lead),
    },
    changeFailureRate: {
      rate,
      failed: failed.length,
      deployments: changes.length,
      band: rate === null ? null : failureRateBand(rate),
    },
    timeToRestore: {
      medianSeconds: restore,
      restored: restores.length,
      unrestored: failed.length - restores.length,
      band: restore === null ? null : restoreBand(restore),
    },
  };
}
