/**
 * What one observed event means for the deployment records of one app, as a pure function of
 * the event and the app's latest records. The recorder (recorder.ts) observes (observe.ts),
 * asks `decide` for each event in time order, and carries the actions out on the store.
 *
 * Rules (each idempotent: seeing the same state again, e.g. after a restart, decides nothing):
 * - `healthy` (Synced and Healthy on revision R, no operation running):
 *   - R is the latest record's revision: nothing new. If that record never ran, it now has
 *     (healthyAt); if it is an open failure (its sync failed, its Rollout aborted, and now R
 *     runs after all: a retry or a promote), it is restored.
 *   - R is new and a sync applied it (`deployed`): a new Succeeded deployment, deployed when it
 *     became Synced and Healthy. When R is an ancestor of the last revision that ran, it is a
 *     rollback: the deployment rolled back from is marked failed (RolledBack) and the rollback
 *     is recorded as such (no change of its own). Either way, every open failure of the app is
 *     restored by it.
 *   - R is new but no sync applied anything (the commit changed nothing this app renders): no
 *     deployment; its commits count with the next deployment that changes something.
 * - `syncFailed` (the last sync of revision R ended Failed or Error): a new Failed deployment of
 *   R (SyncFailed), deployed when that sync started, unless R already has the latest record.
 * - `aborted` (a Rollout of the app aborted while R was deployed): the latest record of R is
 *   marked failed (RolloutAborted), or a Failed deployment of R is recorded.
 */
import type {
  DeploymentRecord,
  FailureReason,
  NewDeployment,
} from '../../pipelines/store/index.ts';

export type DoraEvent =
  | {
      type: 'healthy';
      revision: string;
      /** When it became Synced and Healthy (from status: stable across restarts). */
      at: string;
      key: string;
      /** A sync of this revision changed something (else: nothing was deployed). */
      deployed: boolean;
    }
  | {
      type: 'syncFailed';
      revision: string;
      startedAt: string;
      finishedAt: string;
      key: string;
      message: string;
    }
  | {
      type: 'aborted';
      revision: string;
      /** When the revision was synced (the abort came later). */
      deployedAt: string;
      abortedAt: string;
      key: string;
      message: string;
    };

/** A deployment to record; the recorder adds the commits (since `baseline`) and commit time. */
export type Planned = Omit<NewDeployment, 'commits' | 'commitTime'>;

export type DoraAction =
  | { type: 'record'; deployment: Planned; baseline: string | undefined }
  | { type: 'markFailed'; id: number; reason: FailureReason; at: string; message: string }
  | { type: 'markHealthy'; id: number; at: string }
  | { type: 'restore'; at: string; by: string };

export interface AppContext {
  kind: NewDeployment['kind'];
  namespace: string;
  app: string;
  environment: string;
  repoURL: string;
}

export interface Latest {
  /** The app's newest record. */
  last: DeploymentRecord | undefined;
  /** Its newest record that ran Synced and Healthy (the baseline for a new one's commits). */
  lastRan: DeploymentRecord | undefined;
  /** For a `healthy` event of a new revision: is it an ancestor of `lastRan`'s revision? */
  rollback: boolean;
}

/** When each event happened: events are decided in this order. */
export function eventTime(e: DoraEvent): string {
  if (e.type === 'healthy') return e.at;
  return e.type === 'syncFailed' ? e.finishedAt : e.abortedAt;
}

function planned(ctx: AppContext, fields: Omit<Planned, keyof AppContext>): Planned {
  return { ...ctx, ...fields };
}

function onHealthy(
  ctx: AppContext,
  e: Extract<DoraEvent, { type: 'healthy' }>,
  latest: Latest,
): DoraAction[] {
  const { last, lastRan } = latest;
  if (last?.revision === e.revision) {
    const out: DoraAction[] = [];
    if (!last.healthyAt) out.push({ type: 'markHealthy', id: last.id, at: e.at });
    if (last.outcome === 'Failed' && !last.restoredAt)
      out.push({ type: 'restore', at: e.at, by: e.revision });
    return out;
  }
  if (!e.deployed) return [];
  const out: DoraAction[] = [];
  const rollback = latest.rollback && lastRan !== undefined;
  if (rollback && last?.outcome === 'Succeeded')
    out.push({
      type: 'markFailed',
      id: last.id,
      reason: 'RolledBack',
      at: e.at,
      message: `rolled back to ${e.revision}`,
    });
  out.push({
    type: 'record',
    deployment: planned(ctx, {
      key: e.key,
      revision: e.revision,
      deployedAt: e.at,
      healthyAt: e.at,
      outcome: 'Succeeded',
      rollback,
      message: rollback ? `rollback from ${lastRan.revision}` : '',
    }),
    baseline: lastRan?.revision,
  });
  out.push({ type: 'restore', at: e.at, by: e.revision });
  return out;
}

/**
 * The actions one event calls for.
 *
 * @example
 * decide(ctx, { type: 'syncFailed', revision: 'c0ffee…', ... }, { last, lastRan, rollback: false });
 * // [{ type: 'record', deployment: { outcome: 'Failed', failureReason: 'SyncFailed', ... } }]
 */
export function decide(ctx: AppContext, e: DoraEvent, latest: Latest): DoraAction[] {
  if (e.type === 'healthy') return onHealthy(ctx, e, latest);
  const { last, lastRan } = latest;
  if (e.type === 'aborted' && last?.revision === e.revision) {
    if (last.outcome === 'Failed') return [];
    return [
      {
        type: 'markFailed',
        id: last.id,
        reason: 'RolloutAborted',
        at: e.abortedAt,
        message: e.message,
      },
    ];
  }
  if (last?.revision === e.revision) return [];
  const failed =
    e.type === 'syncFailed'
      ? { deployedAt: e.startedAt, failedAt: e.finishedAt, failureReason: 'SyncFailed' as const }
      : {
          deployedAt: e.deployedAt,
          failedAt: e.abortedAt,
          failureReason: 'RolloutAborted' as const,
        };
  return [
    {
      type: 'record',
      deployment: planned(ctx, {
        key: e.key,
        revision: e.revision,
        outcome: 'Failed',
        rollback: false,
        message: e.message,
        ...failed,
      }),
      baseline: lastRan?.revision,
    },
  ];
}
