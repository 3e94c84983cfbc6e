/**
 * The Rollout controller's Prometheus metrics: one `sluice_rollout_info` series per Rollout
 * (value 1, its phase and strategy as labels, as Argo Rollouts' `rollout_info`), how long
 * reconciles take, and how long canary steps take (from the status the controller sees: the
 * time between one step index and the next, of the same revision).
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
  readonly stepSeconds = new Histogram({
    name: 'sluice_rollout_step_duration_seconds',
    help: 'Time a canary rollout spent at one step (pauses, analysis and waiting for pods included)',
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  /** Where each Rollout's steps stand: revision, step index, since when. */
  private readonly steps = new Map<string, { hash: string; index: number; since: number }>();
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
    this.observeStep(key, ro);
  }

  private observeStep(key: string, ro: Rollout): void {
    const hash = ro.status?.currentPodHash;
    const index = ro.status?.currentStepIndex;
    if (hash === undefined || index === undefined) return;
    const prev = this.steps.get(key);
    const now = Date.now();
    if (prev?.hash === hash && prev.index === index) return;
    if (prev?.hash === hash && index > prev.index)
      this.stepSeconds.observe((now - prev.since) / 1000);
    this.steps.set(key, { hash, index, since: now });
  }

  forget(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const prev = this.last.get(key);
    if (prev) this.info.remove(prev);
    this.last.delete(key);
    this.steps.delete(key);
  }
}
