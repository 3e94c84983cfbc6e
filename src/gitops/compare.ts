/**
 * Steps 1-4 of a reconcile, which write nothing: resolve the revision, render, preflight, diff.
 * The CLI's `app diff` runs exactly this against the cluster.
 */
import type { Application, InventoryEntry } from '../api/application.ts';
import { errorMessage, SluiceError } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, refKey, type KubeObject } from '../kube/types.ts';
import type { RenderCache, RenderRequest, RenderResult } from '../render/index.ts';
import { render, renderCacheKey } from '../render/index.ts';
import type { GitMirrors, RepoCredentials } from '../source/index.ts';
import { mapLimit } from '../util/semaphore.ts';
import {
  appOfTrackingId,
  hookTypes,
  objectSyncOptions,
  optionDisabled,
  optionEnabled,
  parseOptions,
  TRACKING_ANNOTATION,
} from './annotations.ts';
import type { Reason } from './conditions.ts';
import { rolloutRoles } from './coexist.ts';
import { ResourceError } from './errors.ts';
import { diffResource, type DiffCache, type ResourceDiff } from './diff.ts';
import { InventoryError, inventorySize, readInventory } from './inventory.ts';
import type { LiveState } from './live.ts';
import { GateError, type GateContext, type RevisionGate } from './gates.ts';
import { destinationNamespace, preflight, type DesiredResource, type Plan } from './preflight.ts';
import {
  planRefusals,
  projectOf,
  ProjectRefusedError,
  pruneRefusals,
  type ProjectGate,
} from './projects/gate.ts';
import type { Project, ProjectRefusal } from './projects/rules.ts';
import { apiVersionOf } from './prune.ts';
import {
  QUARANTINE_RELEASE_ANNOTATION,
  quarantineMessage,
  type RenderJournal,
} from './quarantine.ts';

export interface CompareDeps {
  kube: Kube;
  mirrors: GitMirrors;
  renderCache: RenderCache;
  diffCache: DiffCache;
  live: LiveState;
  credentials: (repoURL: string) => Promise<RepoCredentials | undefined>;
  concurrency?: number;
  /** Whether an Application exists (to refuse taking objects from another live app). */
  appExists?: (namespace: string, name: string) => boolean;
  /** Renders what the cache does not have (the controller: in a worker, render/pool.ts). */
  renderer?: (req: RenderRequest) => Promise<RenderResult>;
  /** Crash-loop protection: uncached renders are marked in flight; quarantined ones refused. */
  journal?: RenderJournal;
  /** AppProjects: what the app's project refuses stops the comparison (projects/gate.ts). */
  projects?: ProjectGate;
  /** The destination cluster, by server URL and registered name (for project destinations). */
  cluster?: { server: string; name: string };
  /** Signed commits, signed images, policies: a refusal applies nothing (gates.ts). */
  gates?: readonly RevisionGate[];
}

/** What the comparison found. */
export interface Comparison {
  revision: string;
  plan: Plan;
  diffs: Map<string, ResourceDiff>;
  pruneCandidates: InventoryEntry[];
  outOfSync: boolean;
  /** Some desired object differs from the cluster (not only things left to prune). */
  drifted: boolean;
}

/** A comparison that could not be made; `terminal` ones need a change in Git or the spec. */
export class ComparisonError extends SluiceError {
  readonly reason: Reason;
  readonly terminal: boolean;
  constructor(reason: Reason, message: string, terminal: boolean, cause?: unknown) {
    super(reason, message, { cause });
    this.reason = reason;
    this.terminal = terminal;
  }
}

/** A project's refusal as the comparison's error: terminal until the project, spec or Git change. */
function projectError(err: ProjectRefusedError): ComparisonError {
  const reason = err.code === 'ProjectNotFound' ? 'ProjectNotFound' : 'ProjectRefused';
  return new ComparisonError(reason, err.message, true, err);
}

export function inventoryEntry(r: DesiredResource): InventoryEntry {
  return {
    group: r.ref.group,
    version: r.version,
    kind: r.ref.kind,
    ...(r.ref.namespace ? { namespace: r.ref.namespace } : {}),
    name: r.ref.name,
  };
}

export const entryKey = (e: InventoryEntry): string =>
  refKey({ group: e.group, kind: e.kind, namespace: e.namespace ?? '', name: e.name });

/** The app's inventory (either format); one that cannot be read stops the comparison. */
function inventoryOf(app: Application): InventoryEntry[] {
  try {
    return readInventory(app.status);
  } catch (err) {
    if (!(err instanceof InventoryError)) throw err;
    const e = new InventoryError(
      `Application ${app.metadata.namespace}/${app.metadata.name}: ${err.message}; nothing is pruned until it is fixed`,
      err,
    );
    throw new ComparisonError('InvalidInventory', errorMessage(e), true, e);
  }
}

export class Comparer {
  private readonly deps: CompareDeps;

  constructor(deps: CompareDeps) {
    this.deps = deps;
  }

  /**
   * An object another existing Application tracks is not taken over: two apps would overwrite
   * each other forever. It becomes a validation error, so nothing of this revision is applied.
   * Objects of an app that no longer exists are adopted.
   */
  private refuseShared(app: Application, d: ResourceDiff): void {
    const owner = appOfTrackingId(d.live?.metadata.annotations?.[TRACKING_ANNOTATION]);
    if (!owner || !this.deps.appExists) return;
    if (owner.namespace === app.metadata.namespace && owner.name === app.metadata.name) return;
    if (!this.deps.appExists(owner.namespace, owner.name)) return;
    d.inSync = false;
    d.error = new ResourceError(
      d.resource.ref,
      'ClaimedByAnotherApp',
      `${formatRef(d.resource.ref)} is managed by Application ${owner.namespace}/${owner.name}`,
      {
        hint: 'remove it from one of the two apps (or delete that app without --cascade to hand it over)',
      },
    );
  }

  /** Namespaces this revision creates that do not exist yet (their objects cannot be dry-run). */
  private async pendingNamespaces(plan: Plan): Promise<Set<string>> {
    const pending = new Set(plan.createNamespaces);
    for (const r of plan.resources)
      if (r.ref.kind === 'Namespace' && r.ref.group === '') pending.add(r.ref.name);
    for (const ns of [...pending])
      if (await this.deps.live.get('v1', 'Namespace', undefined, ns)) pending.delete(ns);
    return pending;
  }

  /** What the app tracks (inventory, and the cache by tracking id) that the plan no longer has. */
  private leftovers(app: Application, plan: Plan): InventoryEntry[] {
    const wanted = new Set(plan.resources.map((r) => r.key));
    const candidates = new Map<string, InventoryEntry>();
    const tracked = this.deps.live.trackedBy(app.metadata.namespace, app.metadata.name);
    for (const e of [...inventoryOf(app), ...tracked])
      if (!wanted.has(entryKey(e))) candidates.set(entryKey(e), e);
    return [...candidates.values()];
  }

  /**
   * Objects already gone need no pruning; objects marked Prune=false are left alone on purpose;
   * hooks (runs of a PreSync Job, ...) belong to the operation that ran them, not the app.
   */
  private async prunable(candidates: Iterable<InventoryEntry>): Promise<InventoryEntry[]> {
    const out: InventoryEntry[] = [];
    for (const c of candidates) {
      const live = await this.deps.live.get(apiVersionOf(c), c.kind, c.namespace, c.name);
      if (!live || hookTypes(live).length > 0) continue;
      if (!optionDisabled(objectSyncOptions(live), 'Prune')) out.push(c);
    }
    return out;
  }

  // ---- step 1: resolve the revision ------------------------------------------------------------
  async resolveRevision(
    app: Application,
    refresh: 'always' | 'ifStale' | undefined,
  ): Promise<string> {
    return (await this.resolve(app, refresh)).sha;
  }

  /** The revision's commit, and the ref it named (a branch or tag; none for HEAD or a SHA). */
  private async resolve(
    app: Application,
    refresh: 'always' | 'ifStale' | undefined,
  ): Promise<{ sha: string; ref?: string }> {
    const source = app.spec.source;
    const wanted = app.operation?.sync?.revision ?? source.targetRevision ?? 'HEAD';
    try {
      const credentials = await this.deps.credentials(source.repoURL);
      const resolved = await this.deps.mirrors.resolve(source.repoURL, wanted, {
        refresh: refresh !== undefined,
        ...(refresh === 'ifStale' ? { maxAgeMs: 5000 } : {}),
        ...(credentials ? { credentials } : {}),
      });
      return resolved;
    } catch (err) {
      const code = err instanceof SluiceError ? err.code : '';
      throw new ComparisonError(
        'SourceFailed',
        errorMessage(err),
        code === 'RevisionNotFound' || code === 'InvalidRepoURL',
        err,
      );
    }
  }

  // ---- step 2: render ----------------------------------------------------------------------------
  /**
   * The app's objects at `sha`. Call `done` when the comparison of them ends: a render this call
   * made (not from the cache) stays marked in flight in the journal until then.
   */
  async render(
    app: Application,
    sha: string,
  ): Promise<{ objects: KubeObject[]; done: () => void }> {
    let done = (): void => undefined;
    try {
      const root = await this.deps.mirrors.tree(app.spec.source.repoURL, sha);
      const req = {
        root,
        path: app.spec.source.path ?? '',
        source: app.spec.source,
        appName: app.metadata.name,
        namespace: destinationNamespace(app),
      };
      const key = renderCacheKey(sha, req);
      const result = await this.deps.renderCache.get(key, async () => {
        const made = await this.renderUncached(app, sha, key, req);
        done = made.done;
        return made.result;
      });
      return { objects: result.objects, done: () => done() };
    } catch (err) {
      done();
      if (err instanceof ComparisonError) throw err;
      throw new ComparisonError(
        'RenderFailed',
        `rendering ${app.spec.source.path ?? '/'} at ${sha.slice(0, 7)} failed: ${errorMessage(err)}`,
        true,
        err,
      );
    }
  }

  /** A render the cache does not have: refused when quarantined, else marked in flight. */
  private async renderUncached(
    app: Application,
    sha: string,
    key: string,
    req: RenderRequest,
  ): Promise<{ result: RenderResult; done: () => void }> {
    const run = (): Promise<RenderResult> => (this.deps.renderer ?? render)(req);
    const journal = this.deps.journal;
    if (!journal) return { result: await run(), done: () => undefined };
    const appKey = `${app.metadata.namespace}/${app.metadata.name}`;
    const release = app.metadata.annotations?.[QUARANTINE_RELEASE_ANNOTATION];
    const entry = journal.quarantined(appKey, key, release);
    if (entry)
      throw new ComparisonError('Quarantined', quarantineMessage(app, sha, entry.deaths), true);
    const done = await journal.begin(appKey, key);
    try {
      return { result: await run(), done };
    } catch (err) {
      done();
      throw err;
    }
  }

  /** Steps 1-4: what should run, and how it differs from what runs. Writes nothing. */
  async compare(app: Application, refresh?: 'always' | 'ifStale'): Promise<Comparison> {
    const project = this.projectOf(app);
    const { sha: revision, ref } = await this.resolve(app, refresh);
    await this.gate('beforeRender', {
      app,
      revision,
      ...(ref ? { ref } : {}),
      kube: this.deps.kube,
    });
    const { objects, done } = await this.render(app, revision);
    try {
      return await this.compareRendered(app, revision, objects, project);
    } finally {
      done();
    }
  }

  // ---- the app's project: before anything is fetched, after preflight, before pruning ------------
  private projectOf(app: Application): Project | undefined {
    const { projects, cluster } = this.deps;
    if (!projects || !cluster) return undefined;
    try {
      return projectOf(projects, app, { ...cluster, namespace: destinationNamespace(app) });
    } catch (err) {
      if (err instanceof ProjectRefusedError) throw projectError(err);
      throw err;
    }
  }

  private fence(refusals: ProjectRefusal[], revision: string): void {
    if (refusals.length > 0) throw projectError(new ProjectRefusedError(refusals, revision));
  }

  // ---- revision gates (gates.ts): the commit before rendering, the plan after preflight ----------
  private async gate(
    step: 'beforeRender' | 'afterPreflight',
    ctx: GateContext & { plan?: Plan },
  ): Promise<void> {
    for (const g of this.deps.gates ?? []) {
      try {
        if (step === 'beforeRender') await g.beforeRender?.(ctx);
        else if (ctx.plan) await g.afterPreflight?.({ ...ctx, plan: ctx.plan });
      } catch (err) {
        if (err instanceof GateError)
          throw new ComparisonError(err.reason, errorMessage(err), err.terminal, err);
        throw new ComparisonError(
          'GateFailed',
          `${g.name}: could not check revision ${ctx.revision.slice(0, 7)}: ${errorMessage(err)}`,
          false,
          err,
        );
      }
    }
  }

  /** Steps 3-4, on the rendered objects. */
  private async compareRendered(
    app: Application,
    revision: string,
    objects: KubeObject[],
    project?: Project,
  ): Promise<Comparison> {
    const managed = inventorySize(app.status);
    if (objects.length === 0 && managed > 0) {
      throw new ComparisonError(
        'EmptyRender',
        `the render of ${app.spec.source.path ?? '/'} at ${revision.slice(0, 7)} produced no objects; refusing to prune the ${managed} object(s) this app manages (delete the app, or commit at least one manifest)`,
        true,
      );
    }
    // step 3: preflight
    let plan: Plan;
    try {
      plan = await preflight(objects, app, this.deps.kube.discovery);
    } catch (err) {
      throw new ComparisonError(
        'PreflightFailed',
        errorMessage(err),
        !(err instanceof SluiceError && err.code === 'ClusterUnreachable'),
        err,
      );
    }
    const cluster = this.deps.cluster;
    if (project && cluster) this.fence(planRefusals(project, plan, cluster), revision);
    await this.gate('afterPreflight', { app, revision, kube: this.deps.kube, plan });
    // step 4: diff
    const pending = await this.pendingNamespaces(plan);
    const ctx = {
      kube: this.deps.kube,
      cache: this.deps.diffCache,
      ignoreDifferences: app.spec.ignoreDifferences,
      live: (r: DesiredResource) =>
        this.deps.live.get(
          r.object.apiVersion,
          r.ref.kind,
          r.ref.namespace || undefined,
          r.ref.name,
        ),
      pendingNamespaces: pending,
      // What the Rollouts name: fields the Rollout controller owns there are left to it.
      roles: rolloutRoles(plan.resources),
      respectIgnoreDifferences: optionEnabled(
        parseOptions(app.spec.syncPolicy?.syncOptions ?? []),
        'RespectIgnoreDifferences',
      ),
    };
    const list = await mapLimit(plan.resources, this.deps.concurrency ?? 16, (r) =>
      diffResource(r, ctx),
    );
    for (const d of list) this.refuseShared(app, d);
    const diffs = new Map(list.map((d) => [d.resource.key, d]));
    const pruneCandidates = await this.prunable(this.leftovers(app, plan));
    if (project && cluster) this.fence(pruneRefusals(project, pruneCandidates, cluster), revision);
    const drifted = list.some((d) => !d.inSync);
    const outOfSync = drifted || pruneCandidates.length > 0;
    return { revision, plan, diffs, pruneCandidates, outOfSync, drifted };
  }
}
