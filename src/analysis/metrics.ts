/**
 * Prometheus metrics of analysis, read from the AnalysisRun cache when scraped (no bookkeeping
 * in the reconcile): `sluice_analysis_run_phase{name,namespace,phase}` and
 * `sluice_analysis_run_metric_phase{name,namespace,metric,provider,phase}`, 1 for the current
 * phase and 0 for the others (as Argo Rollouts' analysis_run_metric_phase).
 *
 * @example manager.addMetrics(analysisMetrics(() => analysis.list()));
 */
import { Gauge, Registry } from 'prom-client';
import { ANALYSIS_PHASES, type AnalysisRun, type Metric } from '../api/analysis.ts';

const providerOf = (m: Metric | undefined): string =>
  m ? (Object.keys(m.provider).find((k) => m.provider[k as keyof Metric['provider']]) ?? '') : '';

export function analysisMetrics(runs: () => readonly AnalysisRun[]): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'sluice_analysis_run_phase',
    help: 'One per AnalysisRun and phase: 1 for its current phase',
    labelNames: ['name', 'namespace', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        const current = run.status?.phase ?? 'Pending';
        for (const phase of ANALYSIS_PHASES) {
          const { name, namespace } = run.metadata;
          this.set({ name, namespace, phase }, phase === current ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'sluice_analysis_run_metric_phase',
    help: 'One per metric of an AnalysisRun and phase: 1 for its current phase',
    labelNames: ['name', 'namespace', 'metric', 'provider', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        for (const r of run.status?.metricResults ?? []) {
          const provider = providerOf(run.spec.metrics.find((m) => m.name === r.name));
          for (const phase of ANALYSIS_PHASES) {
            const labels = {
              name: run.metadata.name,
              namespace: run.metadata.namespace,
              metric: r.name,
              provider,
              phase,
            };
            this.set(labels, phase === r.phase ? 1 : 0);
          }
        }
      }
    },
  });
  return registry;
}
