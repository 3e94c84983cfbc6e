/**
 * The Trigger controller, a Runnable of the Manager (`sluice controller` runs it unless
 * `--no-triggers`): the Trigger cache (indexed by repository), the PipelineRuns triggers started
 * (runs.ts), the repository credential Secrets of the controller's namespace, and the
 * reconciler (reconcile.ts). Pushes reach it through the Manager's `POST /api/webhook`
 * (`onPush`): a signed push queues a check of every Trigger whose repository and branch/tag
 * filters match; an unknown repository queues nothing. A new value of the `sluice.dev/refresh`
 * annotation (what `sluice server` writes for a push) does the same for one Trigger. Polling is
 * each Trigger's own requeue.
 *
 * When RBAC refuses the watches it needs, it says so and stays off, as the pipeline controllers
 * do, so the rest of the Manager is not held up.
 *
 * @example
 * const triggers = new TriggerController({ kube, log, namespace: 'sluice-system', cacheDir });
 * manager.add(triggers);
 * manager.addRoutes({ onPush: (e) => Promise.resolve(triggers.onPush(e)) });
 */
import { join } from 'node:path';
import { API_VERSION } from '../../api/application.ts';
import { TRIGGER_KIND, type Trigger, type TriggerStatus } from '../../api/trigger.ts';
import { errorMessage } from '../../errors.ts';
import {
  credentialsFor,
  KNOWN_HOSTS_CONFIGMAP,
  knownHostsOf,
  REPO_SECRET_SELECTOR,
} from '../../gitops/credentials.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import { refusedWatches } from '../../runtime/access.ts';
import { REFRESH_ANNOTATION } from '../../gitops/annotations.ts';
import { Controller, specChanges, type ReconcileRequest } from '../../runtime/controller.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { PushEvent } from '../../server/webhook.ts';
import { normalizeRepoURL } from '../../source/index.ts';
import type { Logger } from '../../util/log.ts';
import { TriggerGit } from './git.ts';
import { refWanted } from './match.ts';
import { mergeTriggerFlags, TriggerReconciler, type TriggerFlags } from './reconcile.ts';
import { TriggerRuns } from './runs.ts';

export interface TriggerControllerOptions {
  kube: Kube;
  log: Logger;
  /** The controller's namespace: repository credential Secrets are read there. */
  namespace: string;
  /** Watch Triggers (and start runs) only in these namespaces (default: all). */
  namespaces?: readonly string[];
  /** Git mirrors go in `<cacheDir>/triggers`. */
  cacheDir: string;
  concurrency?: number;
}

const WATCHED: ReadonlyArray<readonly [string, string]> = [
  ['sluice.dev', 'triggers'],
  ['sluice.dev', 'pipelineruns'],
];

const keyOf = (t: Trigger): string => `${t.metadata.namespace}/${t.metadata.name}`;

function repositoryOf(t: Trigger): string[] {
  try {
    return [normalizeRepoURL(t.spec.repoURL)];
  } catch {
    return [];
  }
}

/** Does this push concern the Trigger (its repository, and a ref its filters select)? */
export function pushConcerns(t: Trigger, event: PushEvent): boolean {
  return repositoryOf(t).some((r) => event.repos.includes(r)) && refWanted(t.spec, event.ref);
}

/** Spec and metadata changes queue a reconcile; a new refresh stamp asks for a check too. */
function eventFlags(
  type: 'added' | 'modified' | 'deleted',
  t: Trigger,
  old: Trigger | undefined,
): TriggerFlags | undefined {
  const stamp = t.metadata.annotations?.[REFRESH_ANNOTATION];
  const before = old?.metadata.annotations?.[REFRESH_ANNOTATION];
  if (type === 'modified' && stamp !== undefined && stamp !== before)
    return { check: true, source: 'webhook' };
  return specChanges(type, t, old);
}

export class TriggerController implements Runnable {
  readonly triggers: Controller<Trigger, TriggerFlags>;
  readonly runs: TriggerRuns;
  readonly git: TriggerGit;
  private readonly o: TriggerControllerOptions;
  private readonly secrets: Informer;
  /** The ConfigMap sluice-ssh-known-hosts: trusted ssh host keys. */
  private readonly knownHosts: Informer;
  private readonly patcher = new StatusPatcher<TriggerStatus, Trigger>();
  private readonly reconciler: TriggerReconciler;
  private disabled = false;

  constructor(o: TriggerControllerOptions) {
    this.o = o;
    this.git = new TriggerGit({ dir: join(o.cacheDir, 'triggers') });
    this.runs = new TriggerRuns({
      kube: o.kube,
      log: o.log,
      namespaces: o.namespaces,
      onChange: (ns, name) => this.triggers.enqueue(`${ns}/${name}`),
    });
    this.secrets = new Informer(o.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: o.namespace,
      labelSelector: REPO_SECRET_SELECTOR,
      onError: (err) => o.log.warn('watch failed; retrying', { error: errorMessage(err) }),
    });
    this.knownHosts = new Informer(o.kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: o.namespace,
      fieldSelector: `metadata.name=${KNOWN_HOSTS_CONFIGMAP}`,
      onError: (err) => o.log.warn('watch failed; retrying', { error: errorMessage(err) }),
    });
    this.reconciler = new TriggerReconciler({
      git: this.git,
      runs: this.runs,
      credentials: (url) =>
        credentialsFor(url, this.secrets.list(), knownHostsOf(this.knownHosts.list())),
      log: o.log,
      patcher: this.patcher,
    });
    this.triggers = new Controller<Trigger, TriggerFlags>({
      name: 'triggers',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: TRIGGER_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: o.concurrency ?? 4,
      mergeFlags: mergeTriggerFlags,
      filter: eventFlags,
      indexes: { repository: repositoryOf },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.triggers.onEvent((type, t) => {
      if (type !== 'deleted') return this.patcher.observe(t);
      this.patcher.forget(keyOf(t));
      this.reconciler.forget(keyOf(t));
    });
  }

  async start(): Promise<void> {
    const refused = await refusedWatches(this.o.kube, this.o.namespaces, WATCHED);
    if (refused.length > 0) {
      this.disabled = true;
      this.o.log.warn('the Trigger controller is off: RBAC refuses what it needs', {
        refused: refused.join(', '),
      });
      return;
    }
    await Promise.all([
      this.triggers.start(),
      this.runs.start(),
      this.secrets.start(),
      this.knownHosts.start(),
    ]);
  }

  startLeading(leader: AbortSignal): void {
    if (this.disabled) return;
    this.o.log.info('leading: watching Triggers', { triggers: this.triggers.list().length });
    this.triggers.startLeading(leader);
  }

  async stop(): Promise<void> {
    if (this.disabled) return;
    await this.triggers.stop();
    this.runs.stop();
    this.secrets.stop();
    this.knownHosts.stop();
  }

  /** A signed push: check every Trigger it concerns now; resolves with them (`Trigger/ns/name`). */
  onPush(event: PushEvent): string[] {
    if (this.disabled) return [];
    const candidates = new Set(event.repos.flatMap((r) => this.triggers.byIndex('repository', r)));
    const matching = [...candidates].filter((t) => pushConcerns(t, event));
    for (const t of matching) this.triggers.enqueue(keyOf(t), { check: true, source: 'webhook' });
    return matching.map((t) => `Trigger/${keyOf(t)}`);
  }

  private async reconcile(
    req: ReconcileRequest<TriggerFlags>,
  ): Promise<{ requeueAfterMs?: number }> {
    const cached = this.triggers.get(req.namespace, req.name);
    if (!cached || cached.metadata.deletionTimestamp) return {};
    const t = this.patcher.current(cached);
    const next = await this.reconciler.reconcile(t, req.flags, this.o.kube.withSignal(req.signal));
    return next === undefined ? {} : { requeueAfterMs: next };
  }
}
