/**
 * The Rollout controller's Prometheus metrics: one `sluice_rollout_info` series per Rollout
 * (value 1, its phase and strategy as labels, as Argo Rollouts' `rollout_info`), and how long
 * reconciles take.
 */
import { Gauge, Histogram, Registry } from 'prom-client';
import type { Rollout } from '../api/rollout.ts';

export class RolloutMetrics {
  readonly registry = new Registry();
  private readonly info = new Gauge({
    name: 'sluice_rollout_info',
    help: 'One series per Rollout: its phase and strategy (value 1)',
    labelNames: ['namespace', 'name', 'phase', 'strategy'] as const,
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'sluice_rollout_reconcile_duration_seconds',
    help: 'Time to reconcile one Rollout',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** The labels last set per Rollout, so a phase change replaces the old series. */
  private readonly last = new Map<
    string,
    { namespace: string; name: string; phase: string; strategy: string }
  >();

  observe(ro: Rollout): void {
    const key = `${ro.metadata.namespace}/${ro.metadata.name}`;
    const labels = {
      namespace: ro.metadata.namespace,
      name: ro.metadata.name,
      phase: ro.status?.phase ?? 'Progressing',
      strategy: ro.spec.strategy.blueGreen ? 'blueGreen' : 'canary',
    };
    const prev = this.last.get(key);
    if (prev && (prev.phase !== labels.phase || prev.strategy !== labels.strategy)) {
      this.info.remove(prev);
    }
    this.info.set(labels, 1);
    this.last.set(key, labels);
  }

  forget(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const prev = this.last.get(key);
    if (prev) this.info.remove(prev);
    this.last.delete(key);
  }
}
