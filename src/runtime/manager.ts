/**
 * One Manager per controller process (after controller-runtime and fluxcd/pkg/runtime): it holds
 * the Lease (leader election), starts every controller's caches, serves /metrics and /healthz
 * (and the routes controllers add, such as Git webhooks), and on losing the Lease cancels every
 * reconcile in flight through one AbortSignal. Controllers plug in with `add()`.
 *
 * @example
 * const manager = new Manager({ kube, namespace: 'sluice-system', log });
 * manager.add(applications);          // a runtime Controller, or anything Runnable
 * await manager.start();              // caches warm, then reconciles once it leads
 */
import { hostname } from 'node:os';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Kube } from '../kube/api.ts';
import { startServer, type RunningServer, type ServerOptions } from '../server/server.ts';
import type { Logger } from '../util/log.ts';
import { LeaderElector } from './leader.ts';

/** What a Manager runs: caches start for every replica, work only while leading. */
export interface Runnable {
  start(): Promise<void>;
  startLeading(leader: AbortSignal): void;
  stop(): Promise<void>;
}

/** Who reconciles: the holder of the Lease `leaseName` (default `sluice-controller`). */
export interface LeaderElectionOptions {
  enabled: boolean;
  leaseName?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewMs?: number;
}

export interface ManagerOptions {
  kube: Kube;
  /** The controller's namespace: its Lease lives there. */
  namespace: string;
  log: Logger;
  leaderElection?: LeaderElectionOptions;
  /** Serve /metrics, /healthz and the controllers' routes here (port 0: any free port). */
  listen?: { host: string; port: number };
}

/** Routes a controller adds to the Manager's HTTP server. */
export type Routes = Pick<
  ServerOptions,
  'onPush' | 'onResync' | 'webhookSecrets' | 'api' | 'handlers'
>;

export class Manager {
  readonly kube: Kube;
  readonly namespace: string;
  /** Process metrics; controllers add their own registries with `addMetrics`. */
  readonly registry = new Registry();
  private readonly opts: ManagerOptions;
  private readonly runnables: Runnable[] = [];
  private readonly registries: Registry[] = [this.registry];
  private readonly elector: LeaderElector | undefined;
  private routes: Routes = {};
  private term: AbortController | undefined;
  private server: RunningServer | undefined;
  private started = false;

  constructor(options: ManagerOptions) {
    this.opts = options;
    this.kube = options.kube;
    this.namespace = options.namespace;
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    const le = options.leaderElection ?? { enabled: true };
    this.elector = le.enabled
      ? new LeaderElector(this.kube.tagged('lease').urgentLane(), {
          namespace: options.namespace,
          name: le.leaseName ?? 'sluice-controller',
          identity: le.identity ?? `${hostname()}-${process.pid}`,
          ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
          ...(le.renewMs ? { renewMs: le.renewMs } : {}),
          onStartedLeading: () => this.startLeading(),
          onStoppedLeading: () => this.stopLeading(),
          log: (m) => options.log.warn(m),
        })
      : undefined;
  }

  add(runnable: Runnable): void {
    if (this.started) throw new Error('Manager.add after start');
    this.runnables.push(runnable);
  }

  addMetrics(registry: Registry): void {
    this.registries.push(registry);
  }

  /** Adds routes; the `api` routes and `handlers` of several controllers are kept side by side. */
  addRoutes(routes: Routes): void {
    const api = { ...this.routes.api, ...routes.api };
    const handlers = [...(this.routes.handlers ?? []), ...(routes.handlers ?? [])];
    this.routes = {
      ...this.routes,
      ...routes,
      ...(Object.keys(api).length ? { api } : {}),
      ...(handlers.length ? { handlers } : {}),
    };
  }

  get isLeader(): boolean {
    return this.term !== undefined && !this.term.signal.aborted;
  }

  /** Where /metrics and /healthz are served, when they are. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /**
   * Binds the HTTP server first, so a taken port fails fast (a ListenError naming the address)
   * before any cache or watch starts; then warms the caches and campaigns for the Lease.
   */
  async start(): Promise<void> {
    this.started = true;
    if (this.opts.listen) {
      this.server = await startServer({
        ...this.opts.listen,
        ...this.routes,
        metrics: () => this.metricsText(),
        healthz: () => ({ ok: true, message: this.isLeader ? 'ok: leading' : 'ok: standby' }),
        log: this.opts.log,
      });
      this.opts.log.info('serving /metrics and /healthz', { url: this.server.url });
    }
    try {
      await Promise.all(this.runnables.map((r) => r.start()));
    } catch (err) {
      // Nothing may keep the process alive after a failed start (the CLI exits non-zero).
      await Promise.allSettled(this.runnables.map((r) => r.stop()));
      await this.server?.close();
      this.server = undefined;
      throw err;
    }
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  private async metricsText(): Promise<string> {
    return Registry.merge(this.registries).metrics();
  }

  private startLeading(): void {
    this.term = new AbortController();
    this.opts.log.info('leading: reconciling');
    for (const r of this.runnables) r.startLeading(this.term.signal);
  }

  private stopLeading(): void {
    this.opts.log.error('lost the leader Lease: cancelling work until it is ours again');
    this.term?.abort();
  }

  /** Graceful stop: no new work, reconciles in flight finish, the Lease is handed over. */
  async stop(): Promise<void> {
    await Promise.all(this.runnables.map((r) => r.stop()));
    this.term?.abort();
    await this.elector?.release();
    await this.server?.close();
    this.server = undefined;
  }
}
