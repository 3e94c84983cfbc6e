/**
 * The four keys as Prometheus gauges on the controller's /metrics, one series per environment
 * that deployed within the window (default the last 30 days), computed from the store when
 * scraped (at most every 15 s; scrapes in between get the same figures):
 *
 * - `sluice_dora_deployments{environment}` deployments in the window (rollbacks left out)
 * - `sluice_dora_deployments_per_day{environment}` deployment frequency
 * - `sluice_dora_lead_time_seconds{environment}` median lead time for changes
 * - `sluice_dora_change_failure_rate{environment}` failed / deployments (0..1)
 * - `sluice_dora_time_to_restore_seconds{environment}` median time to restore
 * - `sluice_dora_band{environment,metric,band}` 1 for each key's DORA band (metric:
 *   deployment_frequency, lead_time, change_failure_rate, time_to_restore)
 *
 * A figure with nothing to measure (no failure restored yet, say) has no series.
 */
import { Gauge, Registry } from 'prom-client';
import type { DeploymentStore } from '../../pipelines/store/index.ts';
import type { DoraReport } from './metrics.ts';
import { reportsByEnvironment } from './report.ts';
import { DEFAULT_SINCE } from './window.ts';

export interface DoraMetricsOptions {
  /** The window, as `--since` takes it; default 30d. */
  since?: string;
  /** Reuse figures this long; default 15 s. */
  cacheMs?: number;
  now?: () => number;
}

type Figure = (r: DoraReport) => number | null;

const FIGURES: ReadonlyArray<[string, string, Figure]> = [
  ['sluice_dora_deployments', 'Deployments in the window (rollbacks left out)', (r) => r.deployments.total],
  ['sluice_dora_deployments_per_day', 'Deployment frequency: deployments per day in the window', (r) => r.deploymentFrequency.perDay],
  ['sluice_dora_lead_time_seconds', 'Lead time for changes: median seconds from commit to running', (r) => r.leadTime.medianSeconds],
  ['sluice_dora_change_failure_rate', 'Change failure rate: failed deployments / deployments', (r) => r.changeFailureRate.rate],
  ['sluice_dora_time_to_restore_seconds', 'Time to restore: median seconds from a failed deployment to the one restoring it', (r) => r.timeToRestore.medianSeconds],
]; // prettier-ignore

const BAND_OF: ReadonlyArray<[string, (r: DoraReport) => string | null]> = [
  ['deployment_frequency', (r) => r.deploymentFrequency.band],
  ['lead_time', (r) => r.leadTime.band],
  ['change_failure_rate', (r) => r.changeFailureRate.band],
  ['time_to_restore', (r) => r.timeToRestore.band],
];

/** A registry with the DORA gauges (add it to the Manager with `addMetrics`). */
export function doraMetrics(store: DeploymentStore, o: DoraMetricsOptions = {}): Registry {
  const registry = new Registry();
  const now = o.now ?? Date.now;
  let cached: { at: number; reports: Promise<Map<string, DoraReport>> } | undefined;
  const reports = (): Promise<Map<string, DoraReport>> => {
    const t = now();
    if (!cached || t - cached.at >= (o.cacheMs ?? 15_000)) {
      const p = reportsByEnvironment(store, o.since ?? DEFAULT_SINCE, t);
      // A failed read is not kept: the next scrape asks again.
      p.catch(() => (cached = undefined));
      cached = { at: t, reports: p };
    }
    return cached.reports;
  };
  for (const [name, help, figure] of FIGURES) {
    new Gauge({
      name,
      help,
      labelNames: ['environment'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [environment, r] of await reports()) {
          const v = figure(r);
          if (v !== null) this.set({ environment }, v);
        }
      },
    });
  }
  new Gauge({
    name: 'sluice_dora_band',
    help: 'DORA band (Elite, High, Medium, Low) of each key, per environment: 1 for the band it is in',
    labelNames: ['environment', 'metric', 'band'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [environment, r] of await reports())
        for (const [metric, band] of BAND_OF) {
          const b = band(r);
          if (b !== null) this.set({ environment, metric, band: b }, 1);
        }
    },
  });
  return registry;
}
