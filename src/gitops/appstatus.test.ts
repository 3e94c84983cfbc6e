import { describe, expect, it } from 'vitest';
import type {
  Application,
  HealthStatus,
  HistoryEntry,
  InventoryEntry,
} from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';
import {
  appendHistory,
  appHealth,
  dependencyProblem,
  initiator,
  nextInventory,
  readiness,
  type AppHealth,
} from './appstatus.ts';
import type { Reason } from './conditions.ts';
import type { DesiredResource } from './preflight.ts';
import type { SyncOutcome } from './sync.ts';
import {
  application,
  comparison,
  desired,
  failedStatus,
  leftover,
  liveObject,
  NOW,
  outcome,
  REV_A,
  REV_B,
  result,
  syncedStatus,
} from './testing/fixtures.ts';

const health = (status: HealthStatus, message = ''): AppHealth => ({
  status,
  message,
  resources: [],
});
const HEALTHY = health('Healthy');

describe('readiness', () => {
  const manual = application({ status: syncedStatus(REV_A) });
  const automated = application({ automated: {}, status: syncedStatus(REV_A) });
  const retrying = application({ automated: {}, status: failedStatus(REV_B, { retryCount: 1 }) });
  const cases: Array<{
    name: string;
    app: Application;
    synced: boolean;
    health?: AppHealth;
    outcome?: SyncOutcome;
    paused?: boolean;
    expected: [Reason, string | RegExp];
  }> = [
    {
      name: 'synced and healthy → Succeeded',
      app: automated,
      synced: true,
      expected: ['Succeeded', 'synced and healthy'],
    },
    {
      name: 'a sync that just succeeded, healthy → Succeeded',
      app: automated,
      synced: true,
      outcome: outcome('Succeeded'),
      expected: ['Succeeded', 'synced and healthy'],
    },
    {
      name: 'synced, a Deployment rolling out → Progressing with its message',
      app: automated,
      synced: true,
      health: health('Progressing', 'Deployment/shop/web: 1 of 3 updated replicas are available'),
      expected: ['Progressing', 'Deployment/shop/web: 1 of 3 updated replicas are available'],
    },
    {
      name: 'synced, a CronJob suspended → Progressing',
      app: automated,
      synced: true,
      health: health('Suspended', 'CronJob/shop/report: suspended'),
      expected: ['Progressing', 'CronJob/shop/report: suspended'],
    },
    ...(['Degraded', 'Missing', 'Unknown'] as const).map((status) => ({
      name: `synced, a resource ${status} → Degraded`,
      app: automated,
      synced: true,
      health: health(status, `Deployment/shop/web: ${status}`),
      expected: ['Degraded', `Deployment/shop/web: ${status}`] as [Reason, string],
    })),
    {
      name: 'this sync failed → SyncFailed with its message',
      app: automated,
      synced: false,
      outcome: outcome('Failed', [], 'Deployment/shop/web: apply failed: forbidden'),
      paused: true,
      expected: ['SyncFailed', 'Deployment/shop/web: apply failed: forbidden'],
    },
    {
      name: 'out of sync, paused after a rollback → AutoSyncPaused, says how to resume',
      app: automated,
      synced: false,
      paused: true,
      expected: ['AutoSyncPaused', /enable it with `sluice app set guestbook --auto-sync`$/],
    },
    {
      name: 'out of sync, the last sync failed (waiting to retry) → SyncFailed with its message',
      app: retrying,
      synced: false,
      expected: ['SyncFailed', /^Deployment\/guestbook\/web: apply failed/],
    },
    {
      name: 'out of sync, the last sync failed without a message → SyncFailed',
      app: application({
        status: {
          operationState: { phase: 'Failed', startedAt: '2025-06-01T11:00:00Z' },
        },
      }),
      synced: false,
      expected: ['SyncFailed', 'the last sync failed'],
    },
    {
      name: 'out of sync, automated → OutOfSync, automated sync will apply it',
      app: automated,
      synced: false,
      expected: ['OutOfSync', 'out of sync; automated sync will apply it'],
    },
    {
      name: 'out of sync, manual → OutOfSync, says which command syncs it',
      app: manual,
      synced: false,
      expected: ['OutOfSync', 'out of sync; run `sluice app sync guestbook`'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const [reason, message] = readiness(
      c.app,
      c.synced,
      c.health ?? HEALTHY,
      c.outcome,
      c.paused ?? false,
    );
    expect(reason).toBe(c.expected[0]);
    expect(message).toMatch(c.expected[1]);
  });
});

describe('appHealth', () => {
  const web = desired('Deployment', 'web', { group: 'apps', namespace: 'shop' });
  const migrate = desired('Job', 'db-migrate', { group: 'batch', namespace: 'shop' });
  const svc = desired('Service', 'web', { namespace: 'shop' });
  const cases: Array<{
    name: string;
    resources: DesiredResource[];
    live: Array<KubeObject | undefined>;
    status: HealthStatus;
    message: string | RegExp;
  }> = [
    { name: 'nothing planned → Healthy', resources: [], live: [], status: 'Healthy', message: '' },
    {
      name: 'everything healthy → Healthy, no message',
      resources: [web, svc],
      live: [liveObject('deployment-healthy.yaml'), liveObject('service-healthy-clusterip.yaml')],
      status: 'Healthy',
      message: '',
    },
    {
      name: 'one object not created yet → Missing, naming it',
      resources: [web, svc],
      live: [liveObject('deployment-healthy.yaml'), undefined],
      status: 'Missing',
      message: 'Service/shop/web: Missing',
    },
    {
      name: 'a rollout in progress → Progressing, naming the Deployment',
      resources: [svc, web],
      live: [
        liveObject('service-healthy-clusterip.yaml'),
        liveObject('deployment-progressing-rollout.yaml'),
      ],
      status: 'Progressing',
      message: /^Deployment\/shop\/web: /,
    },
    {
      name: 'a failed Job outranks a rollout → Degraded, naming the Job',
      resources: [web, migrate],
      live: [
        liveObject('deployment-progressing-rollout.yaml'),
        liveObject('job-degraded-backoff-limit.yaml'),
      ],
      status: 'Degraded',
      message:
        'Job/shop/db-migrate: BackoffLimitExceeded: Job has reached the specified backoff limit',
    },
  ];

  it.each(cases)('$name', ({ resources, live, status, message }) => {
    const h = appHealth(resources, live);
    expect(h.status).toBe(status);
    expect(h.message).toMatch(message);
    expect(h.resources.map((r) => [r.kind, r.name])).toEqual(
      resources.map((r) => [r.ref.kind, r.ref.name]),
    );
  });

  it('records each resource health for `app get`', () => {
    const h = appHealth([web, svc], [liveObject('deployment-healthy.yaml'), undefined]);
    expect(h.resources).toEqual([
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
        health: { status: 'Healthy' },
      },
      {
        group: '',
        version: 'v1',
        kind: 'Service',
        namespace: 'shop',
        name: 'web',
        health: { status: 'Missing' },
      },
    ]);
  });
});

describe('dependencyProblem', () => {
  const dependent = (dependsOn: Array<{ name: string; namespace?: string }>): Application =>
    application({ name: 'frontend', spec: { dependsOn } });
  const db = (status?: Application['status'], namespace = 'sluice-system'): Application =>
    application({ name: 'db', namespace, ...(status ? { status } : {}) });
  const cases: Array<{
    name: string;
    app: Application;
    apps: Application[];
    expected: string | undefined;
  }> = [
    { name: 'no dependencies → ready', app: application(), apps: [], expected: undefined },
    {
      name: 'dependency Synced and Healthy → ready',
      app: dependent([{ name: 'db' }]),
      apps: [db(syncedStatus(REV_A))],
      expected: undefined,
    },
    {
      name: 'dependency does not exist → waits, naming it',
      app: dependent([{ name: 'db' }]),
      apps: [],
      expected: 'waiting for Application sluice-system/db: it does not exist',
    },
    {
      name: 'dependency never reconciled → waits (Unknown/Unknown)',
      app: dependent([{ name: 'db' }]),
      apps: [db()],
      expected:
        'waiting for Application sluice-system/db to be Synced and Healthy (now Unknown/Unknown)',
    },
    {
      name: 'dependency Synced but Progressing → waits',
      app: dependent([{ name: 'db' }]),
      apps: [db(syncedStatus(REV_A, { health: { status: 'Progressing' } }))],
      expected:
        'waiting for Application sluice-system/db to be Synced and Healthy (now Synced/Progressing)',
    },
    {
      name: 'dependency OutOfSync → waits',
      app: dependent([{ name: 'db' }]),
      apps: [db(syncedStatus(REV_A, { sync: { status: 'OutOfSync' } }))],
      expected:
        'waiting for Application sluice-system/db to be Synced and Healthy (now OutOfSync/Healthy)',
    },
    {
      name: 'dependency in another namespace is looked up there',
      app: dependent([{ name: 'db', namespace: 'data' }]),
      apps: [db(syncedStatus(REV_A)), db(undefined, 'data')],
      expected: 'waiting for Application data/db to be Synced and Healthy (now Unknown/Unknown)',
    },
    {
      name: 'first dependency ready, second missing → names the second',
      app: dependent([{ name: 'db' }, { name: 'cache' }]),
      apps: [db(syncedStatus(REV_A))],
      expected: 'waiting for Application sluice-system/cache: it does not exist',
    },
  ];

  it.each(cases)('$name', ({ app, apps, expected }) => {
    const getApp = (ns: string, name: string): Application | undefined =>
      apps.find((a) => a.metadata.namespace === ns && a.metadata.name === name);
    expect(dependencyProblem(app, getApp)).toBe(expected);
  });
});

describe('nextInventory', () => {
  const web = desired('Deployment', 'web', { group: 'apps' });
  const svc = desired('Service', 'web');
  const oldCm = leftover('ConfigMap', 'old-settings');
  const oldNs = leftover('Namespace', 'legacy', { namespace: '' });
  const entry = (r: DesiredResource): InventoryEntry => ({
    group: r.ref.group,
    version: r.version,
    kind: r.ref.kind,
    namespace: r.ref.namespace,
    name: r.ref.name,
  });
  const cases: Array<{
    name: string;
    resources: DesiredResource[];
    candidates: InventoryEntry[];
    outcome: SyncOutcome;
    expected: InventoryEntry[];
  }> = [
    {
      name: 'nothing left over → the plan',
      resources: [web, svc],
      candidates: [],
      outcome: outcome('Succeeded'),
      expected: [entry(web), entry(svc)],
    },
    {
      name: 'leftover pruned → dropped',
      resources: [web],
      candidates: [oldCm],
      outcome: outcome('Succeeded', [result(oldCm, 'pruned')]),
      expected: [entry(web)],
    },
    {
      name: 'cluster-scoped leftover pruned → dropped',
      resources: [web],
      candidates: [oldNs],
      outcome: outcome('Succeeded', [result(oldNs, 'pruned')]),
      expected: [entry(web)],
    },
    {
      name: 'prune off (leftover skipped) → kept, to prune later',
      resources: [web],
      candidates: [oldCm],
      outcome: outcome('Succeeded', [result(oldCm, 'pruneSkipped', 'prune is off')]),
      expected: [entry(web), oldCm],
    },
    {
      name: 'prune failed → kept',
      resources: [web],
      candidates: [oldCm, oldNs],
      outcome: outcome('Failed', [result(oldCm, 'failed'), result(oldNs, 'pruned')]),
      expected: [entry(web), oldCm],
    },
    {
      name: 'sync failed before pruning → every leftover kept',
      resources: [web],
      candidates: [oldCm, oldNs],
      outcome: outcome('Failed', [result(entry(web), 'failed')]),
      expected: [entry(web), oldCm, oldNs],
    },
    {
      name: 'a leftover back in the plan → listed once',
      resources: [web, svc],
      candidates: [entry(svc)],
      outcome: outcome('Succeeded'),
      expected: [entry(web), entry(svc)],
    },
  ];

  it.each(cases)('$name', ({ resources, candidates, outcome: o, expected }) => {
    const cmp = comparison({ resources, pruneCandidates: candidates, outOfSync: true });
    expect(nextInventory(cmp, o)).toEqual(expected);
  });
});

describe('appendHistory', () => {
  const entries = (n: number): HistoryEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      revision: REV_A,
      deployedAt: '2025-05-01T00:00:00.000Z',
      initiatedBy: 'automated',
    }));
  const cases: Array<{
    name: string;
    app: Application;
    history: HistoryEntry[];
    ids: number[];
  }> = [
    { name: 'first deployment → id 1', app: application(), history: [], ids: [1] },
    {
      name: 'next id follows the last',
      app: application(),
      history: entries(3),
      ids: [1, 2, 3, 4],
    },
    {
      name: 'keeps the last 10 by default',
      app: application(),
      history: entries(10),
      ids: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    },
    {
      name: 'revisionHistoryLimit 3 keeps 3',
      app: application({ spec: { revisionHistoryLimit: 3 } }),
      history: entries(5),
      ids: [4, 5, 6],
    },
    {
      name: 'ids keep counting after old entries are dropped',
      app: application(),
      history: entries(40).slice(-10),
      ids: [32, 33, 34, 35, 36, 37, 38, 39, 40, 41],
    },
  ];

  it.each(cases)('$name', ({ app, history, ids }) => {
    const next = appendHistory(app, { history }, REV_B, 'automated', new Date(NOW));
    expect(next.map((h) => h.id)).toEqual(ids);
  });

  it('records the revision, the source, who and when', () => {
    const app = application();
    const [entry] = appendHistory(app, {}, REV_B, 'ada', new Date(NOW));
    expect(entry).toEqual({
      id: 1,
      revision: REV_B,
      deployedAt: '2025-06-01T12:00:00.000Z',
      initiatedBy: 'ada',
      source: app.spec.source,
    });
  });
});

describe('initiator', () => {
  it.each([
    { name: 'no operation (automated sync) → automated', app: application(), who: 'automated' },
    {
      name: 'sync asked for by a named user → the user',
      app: application({ operation: { sync: {}, initiatedBy: { username: 'ada' } } }),
      who: 'ada',
    },
    {
      name: 'sync asked for without a user name → user',
      app: application({ operation: { sync: { revision: REV_B } } }),
      who: 'user',
    },
    {
      name: 'operation without a sync, marked automated → automated',
      app: application({ operation: { initiatedBy: { automated: true } } }),
      who: 'automated',
    },
  ])('$name', ({ app, who }) => {
    expect(initiator(app)).toBe(who);
  });
});
