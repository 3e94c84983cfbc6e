/**
 * Step 5's decision: should this reconcile sync? Manual operations always do. Automated sync
 * follows Argo CD: a new revision (or a changed spec) is synced; drift on a revision already
 * synced only with selfHeal, which backs off when another actor keeps undoing it; a failed sync
 * is retried with the app's retry backoff up to its limit.
 *
 * Time is injected (`now`, a `Clock`), so every decision can be tested at a chosen moment.
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

/** Milliseconds since the epoch, as `Date.now()`. */
export type Clock = () => number;

const NO: SyncDecision = { sync: false, selfHeal: false, paused: false };
const YES: SyncDecision = { sync: true, selfHeal: false, paused: false };
const PAUSED: SyncDecision = { sync: false, selfHeal: false, paused: true };

/** After this long without a self-heal, the next one is immediate again. */
const HEAL_QUIET_MS = 120_000;

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
  private readonly clock: Clock;

  constructor(clock: Clock = () => Date.now()) {
    this.clock = clock;
  }

  private static key(app: Application): string {
    return `${app.metadata.namespace}/${app.metadata.name}`;
  }

  /** The last heal of a streak still going on (undefined after a quiet spell). */
  private recent(app: Application): { count: number; last: number } | undefined {
    const h = this.heals.get(SelfHealTracker.key(app));
    return h && this.clock() - h.last <= HEAL_QUIET_MS ? h : undefined;
  }

  delay(app: Application): number {
    const h = this.recent(app);
    if (!h) return 0;
    return h.count < 3 ? 0 : Math.min(1000 * Math.pow(2, h.count - 3), 300_000);
  }

  allowed(app: Application): boolean {
    const h = this.heals.get(SelfHealTracker.key(app));
    return !h || this.clock() - h.last >= this.delay(app);
  }

  note(app: Application): void {
    const h = this.recent(app);
    this.heals.set(SelfHealTracker.key(app), { count: (h?.count ?? 0) + 1, last: this.clock() });
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

/** Only leftovers to prune, and prune is off: a sync could not change anything. */
function nothingToApply(app: Application, cmp: Comparison): boolean {
  const automated = app.spec.syncPolicy?.automated;
  return !cmp.drifted && !automated?.prune && app.status?.sync?.revision === cmp.revision;
}

/** The last sync failed at the revision wanted now (a retry, not a new sync). */
function failedAtRevision(app: Application, cmp: Comparison): boolean {
  const last = app.status?.operationState;
  return last?.phase === 'Failed' && last.syncResult?.revision === cmp.revision;
}

/** Something other than live drift changed: the spec, or the revision to deploy. */
function newTarget(app: Application, cmp: Comparison): boolean {
  const last = app.status?.operationState;
  const specChanged = (app.metadata.generation ?? 0) !== (app.status?.observedGeneration ?? -1);
  return (
    specChanged ||
    last?.syncResult?.revision !== cmp.revision ||
    app.status?.sync?.revision !== cmp.revision ||
    last?.phase !== 'Succeeded'
  );
}

/**
 * @example
 * const decision = decideSync(app, cmp, false, heals, Date.now());
 * if (decision.sync) await runSync(...);
 */
export function decideSync(
  app: Application,
  cmp: Comparison,
  manual: boolean,
  heals: SelfHealTracker,
  now: number,
): SyncDecision {
  if (manual) return YES;
  const automated = app.spec.syncPolicy?.automated;
  if (!cmp.outOfSync || !automated) return NO;
  if (nothingToApply(app, cmp)) return NO;
  if (automated.enabled === false) return PAUSED;
  if (failedAtRevision(app, cmp)) return retryDecision(app, now);
  if (newTarget(app, cmp)) return YES;
  // Same revision already synced: only live drift is left; revert it only with selfHeal.
  if (!automated.selfHeal) return NO;
  return { sync: heals.allowed(app), selfHeal: true, paused: false };
}
