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
import { formatRef } from '../kube/types.ts';
import { entryKey, inventoryEntry, type Comparison } from './compare.ts';
import type { Reason } from './conditions.ts';
import type { LiveState } from './live.ts';
import { automatedEnabled } from './policy.ts';
import type { Plan } from './preflight.ts';
import type { SyncOutcome } from './sync.ts';

const HISTORY_LIMIT = 10;

export interface AppHealth {
  status: HealthStatus;
  message: string;
  resources: ResourceStatus[];
}

export async function assessAppHealth(plan: Plan, live: LiveState): Promise<AppHealth> {
  const resources: ResourceStatus[] = [];
  let worst: { status: HealthStatus; message: string } = { status: 'Healthy', message: '' };
  for (const r of plan.resources) {
    const obj = await live.get(
      r.object.apiVersion,
      r.ref.kind,
      r.ref.namespace || undefined,
      r.ref.name,
    );
    const h = assessHealth(obj);
    resources.push({
      ...inventoryEntry(r),
      health: { status: h.status, ...(h.message ? { message: h.message } : {}) },
    });
    if (worstHealth([worst.status, h.status]) !== worst.status) {
      worst = { status: h.status, message: `${formatRef(r.ref)}: ${h.message ?? h.status}` };
    }
  }
  return { ...worst, resources };
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
    const other = getApp(ns, dep.name);
    if (!other) return `waiting for Application ${ns}/${dep.name}: it does not exist`;
    const s = other.status;
    if (s?.sync?.status !== 'Synced' || s.health?.status !== 'Healthy') {
      return `waiting for Application ${ns}/${dep.name} to be Synced and Healthy (now ${s?.sync?.status ?? 'Unknown'}/${s?.health?.status ?? 'Unknown'})`;
    }
  }
  return undefined;
}

/** The plan's objects, plus what is still out there (prune off, or failed) so it stays prunable. */
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
