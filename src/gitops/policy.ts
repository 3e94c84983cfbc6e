/**
 * Step 5's decision: should this reconcile sync? Manual operations always do. Automated sync
 * follows Argo CD: a new revision (or a changed spec) is synced; drift on a revision already
 * synced only with selfHeal, which backs off when another actor keeps undoing it; a failed sync
 * is retried with the app's retry backoff up to its limit.
 */
import type { Application } from '../api/application.ts';
import type { Comparison } from './compare.ts';
import { parseDuration } from './duration.ts';

export interface SyncDecision {
  sync: boolean;
  /** The sync only reverts live drift (counts against the self-heal backoff). */
  selfHeal: boolean;
  /** Automated sync is paused (after a rollback). */
  paused: boolean;
}

const NO: SyncDecision = { sync: false, selfHeal: false, paused: false };
const YES: SyncDecision = { sync: true, selfHeal: false, paused: false };

export function automatedEnabled(app: Application): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a.enabled !== false;
}

/** Wait before retry `attempt` (0-based): duration x factor^attempt, capped at maxDuration. */
export function retryDelay(app: Application, attempt: number): number {
  const b = app.spec.syncPolicy?.retry?.backoff;
  const base = parseDuration(b?.duration, 5000);
  const max = parseDuration(b?.maxDuration, 180_000);
  return Math.min(base * Math.pow(b?.factor ?? 2, attempt), max);
}

/** Self-heal attempts per app: immediate at first, then 1 s doubling to 5 min while drift keeps coming back. */
export class SelfHealTracker {
  private readonly heals = new Map<string, { count: number; last: number }>();
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  private static key(app: Application): string {
    return `${app.metadata.namespace}/${app.metadata.name}`;
  }

  delay(app: Application): number {
    const h = this.heals.get(SelfHealTracker.key(app));
    if (!h || this.clock() - h.last > 120_000) return 0;
    return h.count < 3 ? 0 : Math.min(1000 * Math.pow(2, h.count - 3), 300_000);
  }

  allowed(app: Application): boolean {
    const h = this.heals.get(SelfHealTracker.key(app));
    return !h || this.clock() - h.last >= this.delay(app);
  }

  note(app: Application): void {
    const key = SelfHealTracker.key(app);
    const h = this.heals.get(key);
    const fresh = !h || this.clock() - h.last > 120_000;
    this.heals.set(key, { count: fresh ? 1 : h.count + 1, last: this.clock() });
  }
}

function retryDecision(app: Application, now: number): SyncDecision {
  const last = app.status?.operationState;
  const limit = app.spec.syncPolicy?.retry?.limit ?? 5;
  const attempts = last?.retryCount ?? 0;
  if (limit >= 0 && attempts >= limit) return NO;
  const since = now - Date.parse(last?.finishedAt ?? last?.startedAt ?? '');
  return since < retryDelay(app, attempts) ? NO : YES;
}

export function decideSync(
  app: Application,
  cmp: Comparison,
  manual: boolean,
  heals: SelfHealTracker,
  now: number = Date.now(),
): SyncDecision {
  if (manual) return YES;
  const automated = app.spec.syncPolicy?.automated;
  if (!cmp.outOfSync || !automated) return NO;
  // Only leftovers to prune, and prune is off: a sync could not change anything.
  if (!cmp.drifted && !automated.prune && app.status?.sync?.revision === cmp.revision) return NO;
  if (automated.enabled === false) return { ...NO, paused: true };
  const last = app.status?.operationState;
  const lastRevision = last?.syncResult?.revision;
  if (last?.phase === 'Failed' && lastRevision === cmp.revision) return retryDecision(app, now);
  const specChanged = (app.metadata.generation ?? 0) !== (app.status?.observedGeneration ?? -1);
  const fresh =
    specChanged ||
    lastRevision !== cmp.revision ||
    app.status?.sync?.revision !== cmp.revision ||
    last?.phase !== 'Succeeded';
  if (fresh) return YES;
  // Same revision already synced: only live drift is left; revert it only with selfHeal.
  if (!automated.selfHeal) return NO;
  return { sync: heals.allowed(app), selfHeal: true, paused: false };
}
