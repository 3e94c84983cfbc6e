/**
 * Steps 7-8: what the status says. Health is the worst of the resources'; readiness gives one
 * reason and message a person can act on; history keeps the last deployments; the inventory
 * keeps everything still out there, so it can be pruned later.
 */
import type {
  Application,
  ApplicationStatus,
  HealthStatus,
  HistoryEntry,
  InventoryEntry,
  ResourceStatus,
} from '../api/application.ts';
import { assessHealth, worstHealth } from '../health/index.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { entryKey, inventoryEntry, type Comparison } from './compare.ts';
import type { Reason } from './conditions.ts';
import type { LiveState } from './live.ts';
import { automatedEnabled } from './policy.ts';
import type { DesiredResource, Plan } from './preflight.ts';
import type { SyncOutcome } from './sync.ts';

const HISTORY_LIMIT = 10;

export interface AppHealth {
  status: HealthStatus;
  message: string;
  resources: ResourceStatus[];
}

/**
 * The app's health from the watch cache, or from what this controller just applied where the
 * cache still shows an older generation (right after a sync a Rollout's cached status would
 * otherwise say Healthy for the spec it replaced).
 */
export async function assessAppHealth(
  plan: Plan,
  live: LiveState,
  newer: ReadonlyMap<string, KubeObject> = new Map(),
): Promise<AppHealth> {
  const objects: Array<KubeObject | undefined> = [];
  for (const r of plan.resources) {
    const cached = await live.get(
      r.object.apiVersion,
      r.ref.kind,
      r.ref.namespace || undefined,
      r.ref.name,
    );
    const mine = newer.get(r.key);
    const behind = mine && (cached?.metadata.generation ?? 0) < (mine.metadata.generation ?? 0);
    objects.push(behind ? mine : cached);
  }
  return appHealth(plan.resources, objects);
}

/**
 * The app's health from its planned resources and their live objects (`live[i]` is the object
 * of `resources[i]`, undefined when missing): the worst status, with a message naming the first
 * object that has it.
 */
export function appHealth(
  resources: readonly DesiredResource[],
  live: readonly (KubeObject | undefined)[],
): AppHealth {
  const statuses: ResourceStatus[] = [];
  let worst: { status: HealthStatus; message: string } = { status: 'Healthy', message: '' };
  for (const [i, r] of resources.entries()) {
    const h = assessHealth(live[i]);
    statuses.push({
      ...inventoryEntry(r),
      health: { status: h.status, ...(h.message ? { message: h.message } : {}) },
    });
    if (worstHealth([worst.status, h.status]) !== worst.status) {
      worst = { status: h.status, message: `${formatRef(r.ref)}: ${h.message ?? h.status}` };
    }
  }
  return { ...worst, resources: statuses };
}

/** The Ready condition's reason and message. */
export function readiness(
  app: Application,
  synced: boolean,
  health: AppHealth,
  outcome: SyncOutcome | undefined,
  paused: boolean,
): [Reason, string] {
  const name = app.metadata.name;
  if (outcome?.phase === 'Failed') return ['SyncFailed', outcome.message];
  if (!synced) {
    if (paused)
      return [
        'AutoSyncPaused',
        `automated sync is paused (after a rollback); enable it with \`sluice app set ${name} --auto-sync\``,
      ];
    const last = app.status?.operationState;
    if (last?.phase === 'Failed') return ['SyncFailed', last.message ?? 'the last sync failed'];
    return [
      'OutOfSync',
      automatedEnabled(app)
        ? 'out of sync; automated sync will apply it'
        : `out of sync; run \`sluice app sync ${name}\``,
    ];
  }
  // A stable message: the next reconcile finds nothing to write.
  if (health.status === 'Healthy') return ['Succeeded', 'synced and healthy'];
  if (health.status === 'Degraded' || health.status === 'Missing' || health.status === 'Unknown')
    return ['Degraded', health.message];
  return ['Progressing', health.message];
}

export function initiator(app: Application): string {
  const by = app.operation?.initiatedBy;
  if (by?.username) return by.username;
  return app.operation?.sync ? 'user' : 'automated';
}

/** Why the app must wait for the apps it depends on, or undefined when they are ready. */
export function dependencyProblem(
  app: Application,
  getApp: (namespace: string, name: string) => Application | undefined,
): string | undefined {
  for (const dep of app.spec.dependsOn ?? []) {
    const ns = dep.namespace ?? app.metadata.namespace;
    const problem = notReady(`${ns}/${dep.name}`, getApp(ns, dep.name));
    if (problem) return problem;
  }
  return undefined;
}

/** Why the Application `name` (a dependency) is not ready yet, or undefined when it is. */
function notReady(name: string, other: Application | undefined): string | undefined {
  if (!other) return `waiting for Application ${name}: it does not exist`;
  const sync = other.status?.sync?.status;
  const health = other.status?.health?.status;
  if (sync === 'Synced' && health === 'Healthy') return undefined;
  return `waiting for Application ${name} to be Synced and Healthy (now ${sync ?? 'Unknown'}/${health ?? 'Unknown'})`;
}

/**
 * The plan's objects, plus what is still out there (prune off, or failed) so it stays prunable.
 * Pruned objects are known from the listed results: in a sync of more than 500 changes some may
 * not be listed and stay in the inventory until the next comparison, which finds them gone.
 */
export function nextInventory(
  cmp: Comparison,
  outcome: Pick<SyncOutcome, 'resources'>,
): InventoryEntry[] {
  const pruned = new Set(
    outcome.resources.filter((r) => r.action === 'pruned').map((r) => entryKey({ ...r })),
  );
  const next = new Map<string, InventoryEntry>();
  for (const r of cmp.plan.resources) next.set(r.key, inventoryEntry(r));
  for (const c of cmp.pruneCandidates) if (!pruned.has(entryKey(c))) next.set(entryKey(c), c);
  return [...next.values()];
}

export function appendHistory(
  app: Application,
  status: ApplicationStatus,
  revision: string,
  initiatedBy: string,
  now: Date,
): HistoryEntry[] {
  const history = [...(status.history ?? [])];
  const id = (history.at(-1)?.id ?? 0) + 1;
  history.push({
    id,
    revision,
    deployedAt: now.toISOString(),
    initiatedBy,
    source: app.spec.source,
  });
  return history.slice(-(app.spec.revisionHistoryLimit ?? HISTORY_LIMIT));
}
