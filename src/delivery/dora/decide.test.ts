/**
 * What each observed event does to an app's deployment records, from every state that matters:
 * new deployments, failures, restores, rollbacks, and nothing at all when the same state is seen
 * again (a restarted recorder).
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../pipelines/store/index.ts';
import { decide, type AppContext, type DoraAction, type DoraEvent, type Latest } from './decide.ts';

const ctx: AppContext = {
  kind: 'Application',
  namespace: 'apps',
  app: 'web',
  environment: 'prod',
  repoURL: 'file:///repo',
};

function record(over: Partial<DeploymentRecord> & { revision: string }): DeploymentRecord {
  return {
    ...ctx,
    id: 7,
    key: `k-${over.revision}`,
    deployedAt: '2026-12-01T10:00:00.000Z',
    healthyAt: '2026-12-01T10:00:00.000Z',
    outcome: 'Succeeded',
    rollback: false,
    message: '',
    commits: [],
    ...over,
  };
}

const healthy = (revision: string, deployed = true): DoraEvent => ({
  type: 'healthy',
  revision,
  at: '2026-12-01T12:00:00.000Z',
  key: `Application/apps/web/${revision}/h3`,
  deployed,
});
const syncFailed = (revision: string): DoraEvent => ({
  type: 'syncFailed',
  revision,
  startedAt: '2026-12-01T11:00:00.000Z',
  finishedAt: '2026-12-01T11:00:05.000Z',
  key: `Application/apps/web/${revision}/op2026-12-01T11:00:00.000Z`,
  message: 'one or more objects failed to apply',
});
const aborted = (revision: string): DoraEvent => ({
  type: 'aborted',
  revision,
  deployedAt: '2026-12-01T11:00:00.000Z',
  abortedAt: '2026-12-01T11:10:00.000Z',
  key: `Application/apps/web/${revision}/h2`,
  message: 'Rollout web aborted: analysis failed',
});

const r1 = record({ revision: 'r1' });
const openFailure = record({
  revision: 'r2',
  id: 8,
  healthyAt: undefined,
  outcome: 'Failed',
  failureReason: 'SyncFailed',
});
const latest = (
  last: DeploymentRecord | undefined,
  lastRan = last?.healthyAt ? last : undefined,
  rollback = false,
): Latest => ({ last, lastRan, rollback });

const kinds = (actions: DoraAction[]): string[] =>
  actions.map((a) =>
    a.type === 'record'
      ? `record ${a.deployment.revision} ${a.deployment.outcome}${a.deployment.rollback ? ' rollback' : ''}${a.deployment.failureReason ? ` ${a.deployment.failureReason}` : ''} since ${a.baseline ?? '-'}`
      : a.type === 'markFailed'
        ? `markFailed ${a.id} ${a.reason}`
        : a.type === 'markHealthy'
          ? `markHealthy ${a.id}`
          : `restore by ${a.by}`,
  );

describe('decide', () => {
  it.each([
    {
      name: 'first deployment: recorded, no baseline (only its own commit)',
      event: healthy('r1'),
      latest: latest(undefined),
      want: ['record r1 Succeeded since -', 'restore by r1'],
    },
    {
      name: 'a new revision a sync applied: recorded, commits since the last that ran',
      event: healthy('r2'),
      latest: latest(r1),
      want: ['record r2 Succeeded since r1', 'restore by r2'],
    },
    {
      name: 'the same revision seen again (restart): nothing',
      event: healthy('r1'),
      latest: latest(r1),
      want: [],
    },
    {
      name: 'a new revision no sync applied (nothing changed for this app): nothing',
      event: healthy('r2', false),
      latest: latest(r1),
      want: [],
    },
    {
      name: 'the next good deployment after a failed sync: recorded (commits since the last that ran), restores',
      event: healthy('r3'),
      latest: latest(openFailure, r1),
      want: ['record r3 Succeeded since r1', 'restore by r3'],
    },
    {
      name: 'the failed revision runs after all (a retry): it ran, and it is restored',
      event: healthy('r2'),
      latest: latest(openFailure, r1),
      want: ['markHealthy 8', 'restore by r2'],
    },
    {
      name: 'going back to an ancestor: a rollback; the deployment rolled back is a failure',
      event: healthy('r0'),
      latest: latest(r1, r1, true),
      want: ['markFailed 7 RolledBack', 'record r0 Succeeded rollback since r1', 'restore by r0'],
    },
    {
      name: 'a rollback after a failed sync: the failure is restored, nothing else marked',
      event: healthy('r0'),
      latest: latest(openFailure, r1, true),
      want: ['record r0 Succeeded rollback since r1', 'restore by r0'],
    },
    {
      name: 'a sync of a new revision failed: a Failed deployment',
      event: syncFailed('r2'),
      latest: latest(r1),
      want: ['record r2 Failed SyncFailed since r1'],
    },
    {
      name: 'the same failed sync seen again, or its retries failing: nothing',
      event: syncFailed('r2'),
      latest: latest(openFailure, r1),
      want: [],
    },
    {
      name: 'a failed re-sync of the revision already deployed (no change): nothing',
      event: syncFailed('r1'),
      latest: latest(r1),
      want: [],
    },
    {
      name: 'a Rollout aborted on a new revision: a Failed deployment',
      event: aborted('r2'),
      latest: latest(r1),
      want: ['record r2 Failed RolloutAborted since r1'],
    },
    {
      name: 'a Rollout aborted on the revision recorded as deployed: marked failed',
      event: aborted('r1'),
      latest: latest(r1),
      want: ['markFailed 7 RolloutAborted'],
    },
    {
      name: 'the abort seen again: nothing',
      event: aborted('r2'),
      latest: latest({ ...openFailure, failureReason: 'RolloutAborted' }, r1),
      want: [],
    },
  ])('$name', ({ event, latest: l, want }) => {
    expect(kinds(decide(ctx, event, l))).toEqual(want);
  });

  it('times: a success is deployed and healthy when it became Synced and Healthy', () => {
    const [rec] = decide(ctx, healthy('r2'), latest(r1));
    expect(rec).toMatchObject({
      type: 'record',
      deployment: {
        key: 'Application/apps/web/r2/h3',
        environment: 'prod',
        deployedAt: '2026-12-01T12:00:00.000Z',
        healthyAt: '2026-12-01T12:00:00.000Z',
      },
    });
  });

  it('times: a failed sync is deployed when it started and failed when it ended, never healthy', () => {
    const [rec] = decide(ctx, syncFailed('r2'), latest(r1));
    expect(rec).toMatchObject({
      deployment: {
        deployedAt: '2026-12-01T11:00:00.000Z',
        failedAt: '2026-12-01T11:00:05.000Z',
        message: 'one or more objects failed to apply',
      },
    });
    expect(rec?.type === 'record' && rec.deployment.healthyAt).toBeUndefined();
  });
});
