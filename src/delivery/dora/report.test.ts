/**
 * The report from stored records (an in-memory SQLite store), and the same figures through
 * GET /api/dora's handler and the /metrics gauges: filters by environment and app, the window,
 * a bad `since` answered 400, one series per environment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunStore, type NewDeployment, type RunStore } from '../../pipelines/store/index.ts';
import { doraApi } from './api.ts';
import { doraMetrics } from './prometheus.ts';
import { doraReport } from './report.ts';

const NOW = Date.parse('2026-12-31T00:00:00Z');
const H = 3_600_000;
const ago = (hours: number): string => new Date(NOW - hours * H).toISOString();

let store: RunStore;
let n = 0;
function dep(over: Partial<NewDeployment>): NewDeployment {
  n++;
  const deployedAt = over.deployedAt ?? ago(10);
  return {
    key: `k${n}`,
    kind: 'Application',
    namespace: 'apps',
    app: 'web',
    environment: 'prod',
    revision: `r${n}`,
    repoURL: 'file:///repo',
    deployedAt,
    healthyAt: deployedAt,
    outcome: 'Succeeded',
    rollback: false,
    message: '',
    commits: [
      { sha: `c${n}`, committedAt: new Date(Date.parse(deployedAt) - 2 * H).toISOString() },
    ],
    ...over,
  };
}

beforeAll(async () => {
  store = await openRunStore({ databaseUrl: 'sqlite::memory:' });
  const d = store.deployments;
  await d.record(dep({ deployedAt: ago(48) }));
  await d.record(
    dep({
      deployedAt: ago(24),
      outcome: 'Failed',
      healthyAt: undefined,
      failureReason: 'SyncFailed',
    }),
  );
  await d.restore({ kind: 'Application', namespace: 'apps', app: 'web' }, ago(23), 'r3');
  await d.record(dep({ deployedAt: ago(23) }));
  await d.record(dep({ deployedAt: ago(5), environment: 'staging' }));
  await d.record(dep({ deployedAt: ago(6), app: 'api' }));
  await d.record(dep({ deployedAt: ago(24 * 40) }));
});
afterAll(() => store.close());

describe('doraReport', () => {
  it('prod over 30 days: the deployments of the window and environment', async () => {
    const r = await doraReport(store.deployments, { environment: 'prod' }, NOW);
    expect(r.deployments).toEqual({ total: 4, succeeded: 3, failed: 1, rollbacks: 0 });
    expect(r.leadTime.medianSeconds).toBe(7200);
    expect(r.changeFailureRate.rate).toBe(0.25);
    expect(r.timeToRestore.medianSeconds).toBe(3600);
  });

  it.each([
    { query: { app: 'web' }, total: 4 },
    { query: { app: 'apps/api' }, total: 1 },
    { query: { environment: 'staging' }, total: 1 },
    { query: { since: '12h' }, total: 2 },
    { query: { since: '90d' }, total: 6 },
  ])('$query → $total deployments', async ({ query, total }) => {
    expect((await doraReport(store.deployments, query, NOW)).deployments.total).toBe(total);
  });
});

describe('GET /api/dora', () => {
  it('answers the report for env, app and since', async () => {
    const api = doraApi(store.deployments, () => NOW);
    const r = await api(new URLSearchParams('env=prod&app=web&since=30d'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      filter: { environment: 'prod', app: 'web' },
      deployments: { total: 3 },
      changeFailureRate: { rate: 1 / 3, band: 'Low' },
    });
  });

  it('a bad since is 400 with what is accepted', async () => {
    const r = await doraApi(store.deployments, () => NOW)(new URLSearchParams('since=lately'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 'InvalidSince',
      hint: expect.stringMatching(/30d/) as unknown,
    });
  });
});

describe('/metrics', () => {
  it('one series per environment, and the band of each key', async () => {
    const text = await doraMetrics(store.deployments, { now: () => NOW }).metrics();
    expect(text).toContain('sluice_dora_deployments{environment="prod"} 4');
    expect(text).toContain('sluice_dora_deployments{environment="staging"} 1');
    expect(text).toContain('sluice_dora_change_failure_rate{environment="prod"} 0.25');
    expect(text).toContain('sluice_dora_lead_time_seconds{environment="prod"} 7200');
    expect(text).toContain('sluice_dora_time_to_restore_seconds{environment="prod"} 3600');
    expect(text).toContain(
      'sluice_dora_band{environment="prod",metric="change_failure_rate",band="Low"} 1',
    );
    // Staging had no failure: no restore time and no restore band.
    expect(text).not.toContain('sluice_dora_time_to_restore_seconds{environment="staging"}');
    expect(text).not.toContain('environment="staging",metric="time_to_restore"');
  });
});
