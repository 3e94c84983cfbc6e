/**
 * The Promotion controller: observes each Promotion's environments (its Applications, the
 * Rollouts they manage and those Rollouts' AnalysisRuns, all from watch caches), plans
 * (plan.ts, pure) and carries the plan out — a write of the image into the next environment's
 * Git target (a `PromotionWriter`: a commit, pushed without force) — then writes the status.
 * The commit names the source change of the version promoted, as the commit that brought it
 * into the previous environment named it (provenance.ts, read from the Git mirror).
 * Any change of an app, Rollout or AnalysisRun wakes the Promotions that name it; a soak wakes
 * its Promotion when it ends. A write that fails is retried with the queue's backoff; the step
 * shows `Promoting` with the error until it lands.
 */
import type { AnalysisRun } from '../../api/analysis.ts';
import type { Application } from '../../api/application.ts';
import {
  PROMOTION_KIND,
  type Environment,
  type Promotion,
  type PromotionStatus,
} from '../../api/promotion.ts';
import type { Rollout } from '../../api/rollout.ts';
import { errorMessage } from '../../errors.ts';
import { REFRESH_ANNOTATION } from '../../gitops/annotations.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import { refusedWatches } from '../../runtime/access.ts';
import { Controller } from '../../runtime/controller.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { PullRequest } from './pullrequest.ts';
import type { Logger } from '../../util/log.ts';
import { shortVersion } from './imageref.ts';
import type { SourceChange } from '../dora/trailers.ts';
import { promotionMessage } from './message.ts';
import { HASH_LABEL, observe, type Caches } from './observe.ts';
import { planPromotion, type Write } from './plan.ts';
import { originsOf, sourceOf, type ChangeHistory } from './provenance.ts';
import { deploying, keepTransitionTime, readyCondition } from './status.ts';

const API = 'sluice.dev/v1alpha1';

export interface WriteRequest {
  promotion: Promotion;
  environment: Environment;
  /** The full reference to write (`repo:tag@sha256:…`). */
  image: string;
  /** Its digest, else its tag. */
  version: string;
  /** The commit message. */
  message: string;
  signal: AbortSignal;
}

/** What a write did: the commit (none: already there), and the pull request asking to merge it. */
export interface WriteResult {
  commit?: string;
  pullRequest?: PullRequest;
}

/** Writes an image into an environment's Git target. */
export interface PromotionWriter {
  write(r: WriteRequest): Promise<WriteResult>;
}

export interface PromotionControllerOptions {
  kube: Kube;
  log: Logger;
  writer: PromotionWriter;
  /**
   * The Application controller's Git mirrors, where the commit that brought a version into the
   * previous environment is found (its source trailers go into the promotion commit); without
   * it, promotion commits name no source change.
   */
  history?: ChangeHistory;
  /** Where Promotions and their Applications live (default: all namespaces). */
  namespaces?: readonly string[];
  /** Where the environments' Rollouts and AnalysisRuns run (default: all namespaces). */
  workloadNamespaces?: readonly string[];
  now?: () => number;
}

/** The object from whichever cache holds its namespace. */
function first<T extends KubeObject>(caches: readonly Informer<T>[], ns: string, name: string) {
  for (const c of caches) {
    const o = c.get(ns, name);
    if (o) return o;
  }
  return undefined;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class PromotionController implements Runnable {
  readonly promotions: Controller<Promotion, Record<string, never>>;
  private readonly apps: Informer<Application>[];
  private readonly rollouts: Informer<Rollout>[];
  private readonly runs: Informer<AnalysisRun>[];
  private disabled = false;
  private readonly patcher = new StatusPatcher<PromotionStatus, Promotion>();
  private readonly o: PromotionControllerOptions;

  constructor(o: PromotionControllerOptions) {
    this.o = o;
    const warn = (kind: string) => (err: unknown) =>
      o.log.warn(`${kind} watch failed; retrying`, { error: errorMessage(err) });
    this.promotions = new Controller<Promotion, Record<string, never>>({
      name: 'promotions',
      kube: o.kube,
      apiVersion: API,
      kind: PROMOTION_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      log: o.log,
      indexes: {
        app: (p) =>
          p.spec.environments.flatMap((e) =>
            e.applications.map((a) => `${p.metadata.namespace}/${a}`),
          ),
      },
      reconciler: {
        reconcile: ({ namespace, name, signal }) => this.reconcile(namespace, name, signal),
      },
    });
    this.promotions.onEvent((_t, p) => this.patcher.observe(p));
    const each = <T extends KubeObject>(
      kind: string,
      namespaces: readonly string[] | undefined,
      extra: { labelSelector?: string } = {},
    ): Informer<T>[] =>
      (namespaces?.length ? namespaces : [undefined]).map(
        (namespace) =>
          new Informer<T>(o.kube, {
            apiVersion: API,
            kind,
            ...(namespace ? { namespace } : {}),
            ...extra,
            onError: warn(kind),
          }),
      );
    this.apps = each<Application>('Application', o.namespaces);
    for (const i of this.apps) i.on((_t, a) => this.wakeFor(key(a)));
    this.rollouts = each<Rollout>('Rollout', o.workloadNamespaces);
    for (const i of this.rollouts) i.on(() => this.wakeAll());
    this.runs = each<AnalysisRun>('AnalysisRun', o.workloadNamespaces, {
      labelSelector: HASH_LABEL,
    });
    for (const i of this.runs) {
      i.addIndex('hash', (r) => [
        `${r.metadata.namespace}/${r.metadata.labels?.[HASH_LABEL] ?? ''}`,
      ]);
      i.on(() => this.wakeAll());
    }
  }

  /** Starts the caches — or stays off, saying so, when RBAC refuses what they need. */
  async start(): Promise<void> {
    const refused = [
      ...(await refusedWatches(this.o.kube, this.o.namespaces, [
        ['sluice.dev', 'promotions'],
        ['sluice.dev', 'applications'],
      ])),
      ...(await refusedWatches(this.o.kube, this.o.workloadNamespaces, [
        ['sluice.dev', 'rollouts'],
        ['sluice.dev', 'analysisruns'],
      ])),
    ];
    if (refused.length > 0) {
      this.disabled = true;
      this.o.log.warn('the Promotion controller is off: RBAC refuses what it needs', {
        refused: refused.join(', '),
      });
      return;
    }
    await Promise.all(this.informers().map((i) => i.start()));
    await this.promotions.start();
  }

  startLeading(leader: AbortSignal): void {
    if (!this.disabled) this.promotions.startLeading(leader);
  }

  async stop(): Promise<void> {
    if (this.disabled) return;
    await this.promotions.stop();
    for (const i of this.informers()) i.stop();
  }

  private informers(): Array<{ start(): Promise<void>; stop(): void }> {
    return [...this.apps, ...this.rollouts, ...this.runs];
  }

  private wakeFor(app: string): void {
    for (const p of this.promotions.byIndex('app', app)) this.promotions.enqueue(key(p));
  }

  /** A Rollout or AnalysisRun changed: Promotions are few, each looks again. */
  private wakeAll(): void {
    for (const p of this.promotions.list()) this.promotions.enqueue(key(p));
  }

  private caches(): Caches {
    return {
      app: (ns, n) => first(this.apps, ns, n),
      rollout: (ns, n) => first(this.rollouts, ns, n),
      analysisRuns: (ns, hash) => this.runs.flatMap((i) => i.byIndex('hash', `${ns}/${hash}`)),
    };
  }

  private async reconcile(namespace: string, name: string, signal: AbortSignal) {
    const cached = this.promotions.get(namespace, name);
    if (!cached) return {};
    const p = this.patcher.current(cached);
    const now = (this.o.now ?? Date.now)();
    const plan = planPromotion(p, observe(p, this.caches()), now);
    const environments = plan.environments;
    let failure: string | undefined;
    for (const w of plan.writes) {
      try {
        const written = await this.write(p, w, signal);
        environments.splice(
          environments.findIndex((e) => e.name === w.environment),
          1,
          deploying(environments, w, written),
        );
      } catch (err) {
        failure = `writing ${shortVersion(w.version)} to ${w.environment}: ${errorMessage(err)}`;
        this.o.log.warn('promotion write failed', { promotion: key(p), error: failure });
      }
    }
    const kube = this.o.kube.withSignal(signal);
    await this.patcher.patchStatus(kube, p, {
      observedGeneration: p.metadata.generation ?? 0,
      environments,
      conditions: [
        keepTransitionTime(
          readyCondition(p, environments, failure, new Date(now).toISOString()),
          p,
        ),
      ],
    });
    if (failure) throw new Error(failure); // the queue's backoff retries the write
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs + 50 } : {};
  }

  private async write(p: Promotion, w: Write, signal: AbortSignal): Promise<WriteResult> {
    const environment = p.spec.environments.find((e) => e.name === w.environment)!;
    const previous = p.spec.environments[p.spec.environments.indexOf(environment) - 1];
    const message = promotionMessage({
      promotion: key(p),
      repository: p.spec.image,
      image: w.image,
      version: w.version,
      from: previous?.name ?? '',
      to: w.environment,
      source: await this.sourceOf(p, previous, w.version),
    });
    const r = await this.o.writer.write({
      promotion: p,
      environment,
      image: w.image,
      version: w.version,
      message,
      signal,
    });
    // A pull request waits for a person to merge it; a commit on the branch is fetched now.
    if (r.commit && !r.pullRequest) await this.refresh(p, environment, signal);
    return r;
  }

  /** The source change of `version`, from the commit that brought it into `env`. */
  private async sourceOf(
    p: Promotion,
    env: Environment | undefined,
    version: string,
  ): Promise<SourceChange> {
    if (!this.o.history || !env) return {};
    const apps = env.applications.map((n) => first(this.apps, p.metadata.namespace, n));
    return sourceOf(this.o.history, originsOf(apps, p.spec.image, version), version, this.o.log);
  }

  /** The environment's apps fetch the new commit now, not at their next poll. */
  private async refresh(p: Promotion, env: Environment, signal: AbortSignal): Promise<void> {
    const kube = this.o.kube.withSignal(signal);
    const at = new Date().toISOString();
    for (const name of env.applications) {
      const ref = {
        apiVersion: API,
        kind: 'Application',
        metadata: { namespace: p.metadata.namespace, name },
      };
      await kube
        .mergePatch(ref, { metadata: { annotations: { [REFRESH_ANNOTATION]: at } } })
        .catch((err: unknown) =>
          this.o.log.warn('promotion: could not ask an app to refresh', {
            app: name,
            error: errorMessage(err),
          }),
        );
    }
  }
}
