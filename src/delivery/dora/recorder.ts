/**
 * The DORA recorder: a Runnable of the controller's Manager that watches Applications and
 * Rollouts (through the caches their controllers already keep) and writes deployment records
 * to the run store. Only the leader records.
 *
 * A status change that matters (sync, health, the last operation, an abort; see `fingerprint`)
 * queues the app; a worker observes its status (observe.ts), decides per event (decide.ts) from
 * the app's latest records in the store, and carries the actions out. Nothing is kept in memory
 * between changes, so a restart (or a new leader) decides from the store again: the same state
 * decides nothing twice, and records are keyed (app, revision, deployment) besides.
 *
 * Commits come from the Git mirror the Application controller already has: the committer time
 * of the deployed revision, and every commit it brings over the app's last deployment that ran
 * (at most 1000), each as the change it carries (changes.ts: a commit whose message has a
 * `Source commit time:` trailer counts from that time, under the source commit's name). A store
 * or Git error is retried with the queue's backoff.
 *
 * @example
 * const recorder = new DoraRecorder({ store: runStore.deployments, applications: apps.apps, rollouts: ro.rollouts, commits: apps.mirrors, log });
 * manager.add(recorder);
 */
import type { Application } from '../../api/application.ts';
import type { Rollout } from '../../api/rollout.ts';
import { errorMessage } from '../../errors.ts';
import type { InformerEventType } from '../../kube/informer.ts';
import type { DeploymentCommit, DeploymentStore } from '../../pipelines/store/index.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { WorkQueue } from '../../runtime/queue.ts';
import type { CommitTime } from '../../source/index.ts';
import { SourceError } from '../../source/index.ts';
import type { Logger } from '../../util/log.ts';
import { changeOf, changesOf } from './changes.ts';
import { decide, type AppContext, type DoraAction, type DoraEvent, type Latest } from './decide.ts';
import {
  ENVIRONMENT_LABEL,
  managingApp,
  observeApplication,
  observeRollout,
  type Observed,
} from './observe.ts';

/** A watch cache the recorder reads (the runtime Controller has this shape). */
export interface ObjectSource<T> {
  list(): T[];
  get(namespace: string, name: string): T | undefined;
  onEvent(listener: (type: InformerEventType, obj: T, old: T | undefined) => void): void;
}

/** Commit history (GitMirrors has this shape). */
export interface CommitSource {
  commits(
    repoURL: string,
    sha: string,
    since: string | undefined,
    limit?: number,
  ): Promise<CommitTime[]>;
  isAncestor(repoURL: string, ancestor: string, sha: string): Promise<boolean>;
}

export interface RecorderOptions {
  store: DeploymentStore;
  applications: ObjectSource<Application>;
  /** The Rollouts (absent when the Rollout controller does not run). */
  rollouts?: ObjectSource<Rollout> | undefined;
  commits: CommitSource;
  log: Logger;
  /** Commits kept per deployment; default 1000. */
  maxCommits?: number;
}

const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function rolloutFingerprint(ro: Rollout): string {
  const s = ro.status ?? {};
  const env = ro.metadata.labels?.[ENVIRONMENT_LABEL];
  return JSON.stringify([env, s.phase, s.abort, s.abortedAt, s.currentPodHash, s.stableRS]);
}

/** The status fields whose change can mean a deployment, a failure or a restore. */
function appFingerprint(app: Application): string {
  const s = app.status ?? {};
  const op = s.operationState;
  const env = app.metadata.labels?.[ENVIRONMENT_LABEL];
  const last = s.history?.at(-1)?.id;
  return JSON.stringify([env, s.sync, s.health?.status, last, op?.phase, op?.finishedAt]);
}

export class DoraRecorder implements Runnable {
  private readonly o: RecorderOptions;
  private readonly queue: WorkQueue;
  /** Application key → keys of the Rollouts it manages. */
  private readonly rolloutsByApp = new Map<string, Set<string>>();
  /** Rollout key → the Application managing it. */
  private readonly appOfRollout = new Map<string, string>();
  private leader: AbortSignal | undefined;

  constructor(options: RecorderOptions) {
    this.o = options;
    this.queue = new WorkQueue({
      concurrency: 2,
      handler: (key) => this.handle(key),
      onError: (key, err, retryInMs) =>
        options.log.warn('DORA: recording failed; retrying', {
          key,
          error: errorMessage(err),
          retryInMs,
        }),
    });
    options.applications.onEvent((type, app, old) => {
      if (type !== 'deleted' && (!old || appFingerprint(old) !== appFingerprint(app)))
        this.enqueue(`app:${keyOf(app)}`);
    });
    options.rollouts?.onEvent((type, ro, old) => this.onRollout(type, ro, old));
  }

  private get leading(): boolean {
    return this.leader !== undefined && !this.leader.aborted;
  }

  private enqueue(key: string): void {
    if (this.leading) this.queue.add(key);
  }

  private onRollout(type: InformerEventType, ro: Rollout, old: Rollout | undefined): void {
    const key = keyOf(ro);
    const before = this.appOfRollout.get(key);
    if (before) this.rolloutsByApp.get(before)?.delete(key);
    this.appOfRollout.delete(key);
    const app = managingApp(ro);
    if (type === 'deleted') return;
    if (app) {
      this.appOfRollout.set(key, app);
      this.rolloutsByApp.set(app, (this.rolloutsByApp.get(app) ?? new Set<string>()).add(key));
    }
    if (!old || rolloutFingerprint(old) !== rolloutFingerprint(ro))
      this.enqueue(app ? `app:${app}` : `ro:${key}`);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  startLeading(leader: AbortSignal): void {
    this.leader = leader;
    for (const ro of this.o.rollouts?.list() ?? []) this.onRollout('added', ro, undefined);
    for (const app of this.o.applications.list()) this.enqueue(`app:${keyOf(app)}`);
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  /** Apps queued or being recorded now. */
  get pending(): number {
    return this.queue.depth + this.queue.inFlight;
  }

  private observe(key: string): Observed | undefined {
    const [kind, rest = ''] = key.split(':', 2);
    const [ns = '', name = ''] = rest.split('/', 2);
    if (kind === 'ro') {
      const ro = this.o.rollouts?.get(ns, name);
      return ro && !managingApp(ro) ? observeRollout(ro) : undefined;
    }
    const app = this.o.applications.get(ns, name);
    if (!app) return undefined;
    const rollouts = [...(this.rolloutsByApp.get(rest) ?? [])].flatMap((k) => {
      const [rns = '', rname = ''] = k.split('/', 2);
      return this.o.rollouts?.get(rns, rname) ?? [];
    });
    return observeApplication(app, rollouts);
  }

  private async handle(key: string): Promise<Record<string, never>> {
    if (!this.leading) return {};
    const observed = this.observe(key);
    if (!observed) return {};
    for (const event of observed.events) {
      const latest = await this.latest(observed.ctx, event);
      for (const action of decide(observed.ctx, event, latest))
        await this.perform(observed.ctx, action);
    }
    return {};
  }

  /** The app's latest records; for a new healthy revision, whether it goes back in history. */
  private async latest(ctx: AppContext, e: DoraEvent): Promise<Latest> {
    const last = await this.o.store.latest(ctx);
    const lastRan = last?.healthyAt ? last : await this.o.store.latest(ctx, { ran: true });
    const candidate =
      e.type === 'healthy' && e.deployed && last?.revision !== e.revision && lastRan && ctx.repoURL;
    const rollback = candidate
      ? await this.tryGit(false, () =>
          this.o.commits.isAncestor(ctx.repoURL, e.revision, lastRan.revision),
        )
      : false;
    return { last, lastRan, rollback };
  }

  /** Git answers, or `fallback` when the mirror cannot (the commit is gone): logged, not retried. */
  private async tryGit<T>(fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      this.o.log.warn('DORA: cannot read the commit history', { error: errorMessage(err) });
      return fallback;
    }
  }

  /** The changes `revision` brings over `baseline`, and when its own change was committed. */
  private async commitsOf(
    repoURL: string,
    revision: string,
    baseline: string | undefined,
  ): Promise<{ commits: DeploymentCommit[]; commitTime?: string }> {
    if (!repoURL) return { commits: [] };
    const limit = this.o.maxCommits ?? 1000;
    const commits = await this.tryGit([], () =>
      this.o.commits.commits(repoURL, revision, baseline, limit),
    );
    const own =
      commits.find((c) => c.sha === revision) ??
      (await this.tryGit([], () => this.o.commits.commits(repoURL, revision, undefined)))[0];
    const changes = changesOf(commits);
    return own ? { commits: changes, commitTime: changeOf(own).committedAt } : { commits: changes };
  }

  private async perform(ctx: AppContext, a: DoraAction): Promise<void> {
    const store = this.o.store;
    const who = {
      app: `${ctx.namespace}/${ctx.app}`,
      kind: ctx.kind,
      environment: ctx.environment,
    };
    if (a.type === 'record') {
      const d = a.deployment;
      const { commits, commitTime } = await this.commitsOf(d.repoURL, d.revision, a.baseline);
      const r = await store.record({ ...d, commits, commitTime });
      if (r.created)
        this.o.log.info('DORA: deployment recorded', {
          ...who,
          revision: d.revision,
          outcome: d.outcome,
          ...(d.failureReason ? { reason: d.failureReason } : {}),
          ...(d.rollback ? { rollback: true } : {}),
          commits: commits.length,
        });
    } else if (a.type === 'markFailed') {
      if (await store.markFailed(a.id, a.reason, a.at, a.message))
        this.o.log.info('DORA: deployment failed', { ...who, reason: a.reason });
    } else if (a.type === 'markHealthy') {
      await store.markHealthy(a.id, a.at);
    } else {
      const n = await store.restore(ctx, a.at, a.by);
      if (n > 0) this.o.log.info('DORA: failures restored', { ...who, restored: n, by: a.by });
    }
  }
}
