/**
 * Prometheus metrics of a controller (prom-client), named after Argo CD's where they overlap:
 *
 * - `sluice_app_info{name,namespace,sync_status,health_status}` 1 per Application
 * - `sluice_app_sync_total{name,namespace,phase}` syncs run
 * - `sluice_app_reconcile_duration_seconds` histogram of reconciles
 * - `sluice_k8s_request_total{verb,code}` API requests by verb (apply and dryrun apart)
 * - `sluice_git_request_total{op}` fetches and clones
 * - `sluice_workqueue_depth`, `sluice_workqueue_in_flight`, `sluice_reconcile_total`
 * Node's process metrics (CPU, RSS, event loop lag) come from the runtime's Manager.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Application } from '../api/application.ts';

export interface MetricsSource {
  apps(): Application[];
  kubeCounts(): ReadonlyMap<string, number>;
  gitStats(): { fetches: number; clones: number };
  queueDepth(): number;
  inFlight(): number;
  reconciles(): number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly syncTotal: Counter<'name' | 'namespace' | 'phase'>;
  readonly reconcileDuration: Histogram;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: 'sluice_app_info',
      help: 'One per Application, with its sync and health status',
      labelNames: ['name', 'namespace', 'sync_status', 'health_status'],
      registers,
      collect() {
        this.reset();
        for (const a of source.apps()) {
          this.set(
            {
              name: a.metadata.name,
              namespace: a.metadata.namespace,
              sync_status: a.status?.sync?.status ?? 'Unknown',
              health_status: a.status?.health?.status ?? 'Unknown',
            },
            1,
          );
        }
      },
    });
    this.syncTotal = new Counter({
      name: 'sluice_app_sync_total',
      help: 'Syncs run, by result',
      labelNames: ['name', 'namespace', 'phase'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'sluice_app_reconcile_duration_seconds',
      help: 'Time to reconcile one Application',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Counter({
      name: 'sluice_k8s_request_total',
      help: 'Kubernetes API requests, by verb and status code',
      labelNames: ['verb', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [key, n] of source.kubeCounts()) {
          const [verb = '', code = ''] = key.split(' ');
          this.inc({ verb, code }, n);
        }
      },
    });
    new Counter({
      name: 'sluice_git_request_total',
      help: 'Git network operations, by kind',
      labelNames: ['op'],
      registers,
      collect() {
        this.reset();
        const s = source.gitStats();
        this.inc({ op: 'fetch' }, s.fetches);
        this.inc({ op: 'clone' }, s.clones);
      },
    });
    new Gauge({
      name: 'sluice_workqueue_depth',
      help: 'Applications waiting to be reconciled',
      registers,
      collect() {
        this.set(source.queueDepth());
      },
    });
    new Gauge({
      name: 'sluice_workqueue_in_flight',
      help: 'Applications being reconciled now',
      registers,
      collect() {
        this.set(source.inFlight());
      },
    });
    new Counter({
      name: 'sluice_reconcile_total',
      help: 'Reconciles finished',
      registers,
      collect() {
        this.reset();
        this.inc(source.reconciles());
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
