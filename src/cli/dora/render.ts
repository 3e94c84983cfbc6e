/**
 * What `sluice dora` prints for people (pure): the four keys with their values and DORA bands,
 * and `sluice dora deployments` as a table. `-o json|yaml` print the report / records as they are.
 */
import type { DoraReport } from '../../delivery/dora/index.ts';
import type { DeploymentRecord } from '../../pipelines/store/index.ts';
import { formatTable } from '../output.ts';

/** Seconds for people: 45s, 12m, 3h 20m, 4d 6h. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

const rate = (n: number): string => (n >= 10 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(2));
const day = (iso: string): string => iso.slice(0, 10);
const band = (b: string | null): string => b ?? '-';

function scope(r: DoraReport): string {
  const env = r.filter.environment ? `environment ${r.filter.environment}` : 'all environments';
  const app = r.filter.app ? `app ${r.filter.app}` : 'all apps';
  const days = Math.round(r.window.days * 10) / 10;
  return `${env}, ${app}, last ${days} days (${day(r.window.since)} to ${day(r.window.until)})`;
}

/**
 * The four keys as a table.
 *
 * @example
 * process.stdout.write(reportTable(await doraReport(store.deployments, { environment: 'prod' })));
 */
export function reportTable(r: DoraReport): string {
  const f = r.deploymentFrequency;
  const lt = r.leadTime;
  const cfr = r.changeFailureRate;
  const ttr = r.timeToRestore;
  const rows: string[][] = [
    ['Deployment frequency', `${rate(f.perDay)}/day (${rate(f.perWeek)}/week)`, band(f.band)],
    [
      'Lead time for changes',
      lt.medianSeconds === null
        ? '-'
        : `${formatSeconds(lt.medianSeconds)} (median of ${lt.changes} commits)`,
      band(lt.band),
    ],
    [
      'Change failure rate',
      cfr.rate === null
        ? '-'
        : `${Math.round(cfr.rate * 1000) / 10}% (${cfr.failed} of ${cfr.deployments})`,
      band(cfr.band),
    ],
    [
      'Time to restore',
      ttr.medianSeconds === null
        ? '-'
        : `${formatSeconds(ttr.medianSeconds)} (median of ${ttr.restored})`,
      band(ttr.band),
    ],
  ];
  const d = r.deployments;
  const open = ttr.unrestored > 0 ? `; ${ttr.unrestored} failure(s) not restored yet` : '';
  return (
    `DORA metrics: ${scope(r)}\n\n` +
    formatTable(['KEY', 'VALUE', 'BAND'], rows) +
    `\n${d.total} deployments: ${d.succeeded} succeeded, ${d.failed} failed` +
    `${d.rollbacks ? ` (and ${d.rollbacks} rollbacks)` : ''}${open}.\n`
  );
}

function outcome(d: DeploymentRecord): string {
  if (d.rollback) return 'Rollback';
  return d.failureReason ? `Failed (${d.failureReason})` : d.outcome;
}

function leadTime(d: DeploymentRecord): string {
  const ran = d.healthyAt ? Date.parse(d.healthyAt) : NaN;
  const own = d.commitTime ? Date.parse(d.commitTime) : NaN;
  return Number.isFinite(ran) && Number.isFinite(own)
    ? formatSeconds(Math.max(0, ran - own) / 1000)
    : '-';
}

function restored(d: DeploymentRecord): string {
  if (d.outcome !== 'Failed') return '';
  if (!d.restoredAt) return 'not yet';
  const after = (Date.parse(d.restoredAt) - Date.parse(d.deployedAt)) / 1000;
  return `after ${formatSeconds(Math.max(0, after))} by ${(d.restoredBy ?? '').slice(0, 7)}`;
}

/** `sluice dora deployments`: one row per deployment, oldest first. */
export function deploymentsTable(records: readonly DeploymentRecord[]): string {
  if (records.length === 0) return 'No deployments recorded in this window.\n';
  return formatTable(
    ['DEPLOYED', 'ENVIRONMENT', 'APP', 'REVISION', 'OUTCOME', 'COMMITS', 'LEAD TIME', 'RESTORED'],
    records.map((d) => [
      d.deployedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      d.environment,
      `${d.kind === 'Rollout' ? 'rollout/' : ''}${d.namespace}/${d.app}`,
      d.revision.slice(0, 7),
      outcome(d),
      String(d.commits.length),
      leadTime(d),
      restored(d),
    ]),
  );
}
