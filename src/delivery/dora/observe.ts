/**
 * What an Application's (or a standalone Rollout's) status says happened, as DORA events
 * (decide.ts), read only from status fields that a restart does not change, so a restarted
 * recorder sees the same events with the same keys and times.
 *
 * - Environment: the label `sluice.dev/environment` on the Application (or Rollout); else the
 *   Application's destination namespace; else its own namespace.
 * - `healthy`: Synced and Healthy on `status.sync.revision`, no operation running. Its time is
 *   the later of the history entry of that revision (the sync's end) and the Ready condition's
 *   last transition to True (health that came later, e.g. a canary that finished). `deployed`
 *   when the last operation succeeded on that revision and created, changed or pruned something.
 * - `syncFailed`: the last operation ended Failed or Error at a revision.
 * - `aborted`: a Rollout the Application manages (its tracking id names the app) is aborted.
 * - A Rollout no Application manages deploys its pod template hash: `healthy` once the new
 *   version is stable (Progressing: NewReplicaSetAvailable), `aborted` when it aborts.
 */
import type { Application, HistoryEntry, SyncResult } from '../../api/application.ts';
import type { Rollout, RolloutStatus } from '../../api/rollout.ts';
import { appOfTrackingId, TRACKING_ANNOTATION } from '../../gitops/annotations.ts';
import type { AppContext, DoraEvent } from './decide.ts';
import { eventTime } from './decide.ts';

export const ENVIRONMENT_LABEL = 'sluice.dev/environment';

export interface Observed {
  ctx: AppContext;
  /** In time order. */
  events: DoraEvent[];
}

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b;

/** The Application (namespace/name) managing a Rollout, if one does. */
export function managingApp(ro: Rollout): string | undefined {
  const owner = appOfTrackingId(ro.metadata.annotations?.[TRACKING_ANNOTATION]);
  return owner ? `${owner.namespace}/${owner.name}` : undefined;
}

function changedSomething(result: SyncResult | undefined): boolean {
  const c = result?.counts;
  if (!c) return true;
  return (c.created ?? 0) + (c.configured ?? 0) + (c.pruned ?? 0) > 0;
}

function historyOf(app: Application, revision: string): HistoryEntry | undefined {
  return [...(app.status?.history ?? [])].reverse().find((h) => h.revision === revision);
}

function appContext(app: Application): AppContext {
  return {
    kind: 'Application',
    namespace: app.metadata.namespace ?? '',
    app: app.metadata.name ?? '',
    environment:
      app.metadata.labels?.[ENVIRONMENT_LABEL] ||
      app.spec.destination.namespace ||
      (app.metadata.namespace ?? ''),
    repoURL: app.spec.source.repoURL,
  };
}

const keyOf = (ctx: AppContext, revision: string, which: string): string =>
  `${ctx.kind}/${ctx.namespace}/${ctx.app}/${revision}/${which}`;

const running = (app: Application): boolean => {
  const phase = app.status?.operationState?.phase;
  return phase === 'Running' || phase === 'Terminating';
};

/** The revision the app runs Synced and Healthy, no operation running; else undefined. */
function settledRevision(app: Application): string | undefined {
  const s = app.status;
  if (running(app) || s?.sync?.status !== 'Synced' || s.health?.status !== 'Healthy')
    return undefined;
  return s.sync.revision || undefined;
}

/** When `revision` became Synced and Healthy: its sync's end, or Ready turning True after it. */
function healthyTime(app: Application, revision: string): string | undefined {
  const op = app.status?.operationState;
  const ready = app.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const opEnd = op?.syncResult?.revision === revision ? op.finishedAt : undefined;
  return later(historyOf(app, revision)?.deployedAt ?? opEnd, ready?.lastTransitionTime);
}

/** The last operation succeeded on `revision` and created, changed or pruned something. */
function deployedBySync(app: Application, revision: string): boolean {
  const op = app.status?.operationState;
  if (op?.phase !== 'Succeeded' || op.syncResult?.revision !== revision) return false;
  return changedSomething(op.syncResult);
}

function healthyEvent(app: Application, ctx: AppContext): DoraEvent | undefined {
  const revision = settledRevision(app);
  const at = revision === undefined ? undefined : healthyTime(app, revision);
  if (revision === undefined || at === undefined) return undefined;
  const entry = historyOf(app, revision);
  return {
    type: 'healthy',
    revision,
    at,
    key: keyOf(ctx, revision, entry ? `h${entry.id}` : `at${at}`),
    deployed: deployedBySync(app, revision),
  };
}

function failedEvent(app: Application, ctx: AppContext): DoraEvent | undefined {
  const op = app.status?.operationState;
  const revision = op?.syncResult?.revision;
  if ((op?.phase !== 'Failed' && op?.phase !== 'Error') || !op.finishedAt || !revision)
    return undefined;
  return {
    type: 'syncFailed',
    revision,
    startedAt: op.startedAt,
    finishedAt: op.finishedAt,
    key: keyOf(ctx, revision, `op${op.startedAt}`),
    message: op.message ?? 'sync failed',
  };
}

function isAborted(ro: Rollout): boolean {
  const s = ro.status;
  return s?.abort === true && !!s.abortedAt && s.currentPodHash !== s.stableRS;
}

/**
 * The events an Application's status shows; `rollouts` are the Rollouts it manages.
 *
 * @example
 * const { ctx, events } = observeApplication(app, rolloutsOf(app));
 */
export function observeApplication(app: Application, rollouts: readonly Rollout[]): Observed {
  const ctx = appContext(app);
  const events: DoraEvent[] = [];
  const aborted = abortedEvent(app, ctx, rollouts);
  for (const e of [aborted, failedEvent(app, ctx), healthyEvent(app, ctx)]) if (e) events.push(e);
  return { ctx, events: sortByTime(events) };
}

/**
 * A Rollout of the app aborted after the app's revision was synced (an abort older than the
 * sync belongs to an earlier revision; one seen while a sync runs may be undone by it).
 */
function abortedEvent(
  app: Application,
  ctx: AppContext,
  rollouts: readonly Rollout[],
): DoraEvent | undefined {
  const revision = app.status?.sync?.revision;
  const ro = rollouts.find(isAborted);
  const abortedAt = ro?.status?.abortedAt;
  if (!revision || !ro || !abortedAt || running(app)) return undefined;
  const entry = historyOf(app, revision);
  if (entry && Date.parse(abortedAt) < Date.parse(entry.deployedAt)) return undefined;
  const which = entry ? `h${entry.id}` : `abort${abortedAt}`;
  return {
    type: 'aborted',
    revision,
    deployedAt: entry?.deployedAt ?? abortedAt,
    abortedAt,
    key: keyOf(ctx, revision, which),
    message: abortMessage(ro),
  };
}

function abortMessage(ro: Rollout): string {
  return `Rollout ${ro.metadata.name} aborted: ${ro.status?.message ?? ''}`.trim();
}

function sortByTime(events: DoraEvent[]): DoraEvent[] {
  return events.sort((a, b) => Date.parse(eventTime(a)) - Date.parse(eventTime(b)));
}

/** When a Rollout's current version became stable, or undefined while it is not. */
function stableSince(s: RolloutStatus): string | undefined {
  if (s.phase !== 'Healthy' || s.abort || !s.currentPodHash || s.stableRS !== s.currentPodHash)
    return undefined;
  const done = s.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
  );
  return done?.lastUpdateTime ?? done?.lastTransitionTime;
}

/** The events of a Rollout that no Application manages. */
export function observeRollout(ro: Rollout): Observed {
  const ctx: AppContext = {
    kind: 'Rollout',
    namespace: ro.metadata.namespace,
    app: ro.metadata.name,
    environment: ro.metadata.labels?.[ENVIRONMENT_LABEL] || ro.metadata.namespace,
    repoURL: '',
  };
  const s = ro.status;
  const hash = s?.currentPodHash;
  if (!s || !hash) return { ctx, events: [] };
  if (isAborted(ro) && s.abortedAt) {
    const e: DoraEvent = {
      type: 'aborted',
      revision: hash,
      deployedAt: s.abortedAt,
      abortedAt: s.abortedAt,
      key: keyOf(ctx, hash, `abort${s.abortedAt}`),
      message: s.message ?? 'aborted',
    };
    return { ctx, events: [e] };
  }
  const at = stableSince(s);
  if (!at) return { ctx, events: [] };
  const key = keyOf(ctx, hash, `at${at}`);
  return { ctx, events: [{ type: 'healthy', revision: hash, at, key, deployed: true }] };
}
