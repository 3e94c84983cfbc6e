/**
 * Which DORA events an Application's or a Rollout's status shows, with the environment, keys and
 * times taken from status alone (so a restarted recorder sees the same events).
 */
import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../../api/application.ts';
import type { Rollout, RolloutStatus } from '../../api/rollout.ts';
import {
  application,
  at,
  failedStatus,
  operation,
  REV_A,
  REV_B,
  syncedStatus,
} from '../../gitops/testing/fixtures.ts';
import { managingApp, observeApplication, observeRollout } from './observe.ts';

const history = (
  ...entries: Array<[number, string, number]>
): NonNullable<ApplicationStatus['history']> =>
  entries.map(([id, revision, offset]) => ({
    id,
    revision,
    deployedAt: at(offset),
    initiatedBy: 'automated',
  }));

const ready = (offset: number): NonNullable<ApplicationStatus['conditions']> => [
  { type: 'Ready', status: 'True', reason: 'Succeeded', lastTransitionTime: at(offset) },
];

function rollout(name: string, status: RolloutStatus, app = 'sluice-system_guestbook'): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name,
      namespace: 'guestbook',
      annotations: app
        ? { 'sluice.dev/tracking-id': `${app}:sluice.dev/Rollout:guestbook/${name}` }
        : {},
    },
    spec: { selector: { matchLabels: { app: name } }, template: {} },
    status,
  } as unknown as Rollout;
}

const ABORTED: RolloutStatus = {
  phase: 'Degraded',
  abort: true,
  abortedAt: at(-10_000),
  currentPodHash: 'new',
  stableRS: 'old',
  message: 'RolloutAborted: analysis failed',
};

describe('observeApplication', () => {
  it.each<{ name: string; app: Application; rollouts?: Rollout[]; want: unknown[] }>([
    {
      name: 'synced and healthy after a sync of the revision: healthy, deployed, at the history time',
      app: application({ status: syncedStatus(REV_A, { history: history([1, REV_A, -60_000]) }) }),
      want: [
        {
          type: 'healthy',
          revision: REV_A,
          at: at(-60_000),
          deployed: true,
          key: `Application/sluice-system/guestbook/${REV_A}/h1`,
        },
      ],
    },
    {
      name: 'healthy later than the sync ended (a canary finishing): at the Ready transition',
      app: application({
        status: syncedStatus(REV_A, {
          history: history([1, REV_A, -60_000]),
          conditions: ready(-5_000),
        }),
      }),
      want: [{ type: 'healthy', at: at(-5_000) }],
    },
    {
      name: 'a Ready condition older than the sync (Ready all along): the history time',
      app: application({
        status: syncedStatus(REV_B, {
          history: history([1, REV_A, -900_000], [2, REV_B, -60_000]),
          conditions: ready(-800_000),
        }),
      }),
      want: [
        {
          type: 'healthy',
          revision: REV_B,
          at: at(-60_000),
          key: `Application/sluice-system/guestbook/${REV_B}/h2`,
        },
      ],
    },
    {
      name: 'synced on a revision no sync applied (nothing changed): healthy, not deployed',
      app: application({
        status: syncedStatus(REV_B, {
          operationState: operation(REV_A),
          history: history([2, REV_B, -1000]),
        }),
      }),
      want: [{ type: 'healthy', revision: REV_B, deployed: false }],
    },
    {
      name: 'a sync that changed nothing (all unchanged): not deployed',
      app: application({
        status: syncedStatus(REV_A, {
          operationState: {
            ...operation(REV_A),
            syncResult: { revision: REV_A, resources: [], counts: { unchanged: 3 } },
          },
          history: history([1, REV_A, -60_000]),
        }),
      }),
      want: [{ type: 'healthy', deployed: false }],
    },
    {
      name: 'a sync running: nothing yet',
      app: application({
        status: syncedStatus(REV_A, { operationState: operation(REV_A, { phase: 'Running' }) }),
      }),
      want: [],
    },
    {
      name: 'progressing: nothing yet',
      app: application({ status: syncedStatus(REV_A, { health: { status: 'Progressing' } }) }),
      want: [],
    },
    {
      name: 'the last sync failed: syncFailed at its start, keyed by it',
      app: application({ status: failedStatus(REV_B, { syncedRevision: REV_B }) }),
      want: [
        {
          type: 'syncFailed',
          revision: REV_B,
          startedAt: at(-61_000),
          finishedAt: at(-60_000),
          key: `Application/sluice-system/guestbook/${REV_B}/op${at(-61_000)}`,
          message: 'Deployment/guestbook/web: apply failed: admission webhook denied the request',
        },
      ],
    },
    {
      name: 'a Rollout it manages aborted after the sync: aborted',
      app: application({
        status: syncedStatus(REV_B, {
          health: { status: 'Degraded' },
          history: history([2, REV_B, -60_000]),
        }),
      }),
      rollouts: [rollout('web', ABORTED)],
      want: [
        {
          type: 'aborted',
          revision: REV_B,
          deployedAt: at(-60_000),
          abortedAt: at(-10_000),
          key: `Application/sluice-system/guestbook/${REV_B}/h2`,
          message: 'Rollout web aborted: RolloutAborted: analysis failed',
        },
      ],
    },
    {
      name: 'an abort older than the sync of the revision (an earlier revision aborted): nothing',
      app: application({
        status: syncedStatus(REV_B, {
          health: { status: 'Progressing' },
          history: history([2, REV_B, -5_000]),
        }),
      }),
      rollouts: [rollout('web', ABORTED)],
      want: [],
    },
  ])('$name', ({ app, rollouts, want }) => {
    const { events } = observeApplication(app, rollouts ?? []);
    expect(events).toHaveLength(want.length);
    want.forEach((w, i) => expect(events[i]).toMatchObject(w as object));
  });

  it.each([
    {
      name: 'the label sluice.dev/environment',
      labels: { 'sluice.dev/environment': 'prod' },
      dest: 'guestbook',
      want: 'prod',
    },
    {
      name: 'else the destination namespace',
      labels: {},
      dest: 'guestbook-staging',
      want: 'guestbook-staging',
    },
    { name: "else the app's own namespace", labels: {}, dest: undefined, want: 'sluice-system' },
  ])('environment: $name', ({ labels, dest, want }) => {
    const app = application({ spec: { destination: dest ? { namespace: dest } : {} } });
    app.metadata.labels = labels;
    expect(observeApplication(app, []).ctx).toMatchObject({
      environment: want,
      kind: 'Application',
      app: 'guestbook',
    });
  });
});

describe('observeRollout (no Application manages it)', () => {
  const done: RolloutStatus = {
    phase: 'Healthy',
    currentPodHash: 'h2',
    stableRS: 'h2',
    conditions: [
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        lastUpdateTime: at(-30_000),
      },
    ],
  };
  it.each<{ name: string; status: RolloutStatus; want: unknown[] }>([
    {
      name: 'the new version stable: healthy, its pod template hash the revision',
      status: done,
      want: [
        {
          type: 'healthy',
          revision: 'h2',
          at: at(-30_000),
          deployed: true,
          key: `Rollout/guestbook/web/h2/at${at(-30_000)}`,
        },
      ],
    },
    { name: 'mid-canary: nothing', status: { ...done, phase: 'Paused', stableRS: 'h1' }, want: [] },
    {
      name: 'aborted: aborted at its abort time',
      status: ABORTED,
      want: [{ type: 'aborted', revision: 'new', deployedAt: at(-10_000), abortedAt: at(-10_000) }],
    },
  ])('$name', ({ status, want }) => {
    const { ctx, events } = observeRollout(rollout('web', status, ''));
    expect(ctx).toMatchObject({
      kind: 'Rollout',
      app: 'web',
      environment: 'guestbook',
      repoURL: '',
    });
    expect(events).toHaveLength(want.length);
    want.forEach((w, i) => expect(events[i]).toMatchObject(w as object));
  });

  it('managingApp reads the tracking id', () => {
    expect(managingApp(rollout('web', done))).toBe('sluice-system/guestbook');
    expect(managingApp(rollout('web', done, ''))).toBeUndefined();
  });
});
