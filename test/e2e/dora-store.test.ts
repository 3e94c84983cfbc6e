/**
 * Deployment records (DORA) in the run store, on a real SQLite file and a real PostgreSQL (no
 * Kubernetes needed): recorded once per key, with their commits; a failure marked once; open
 * failures restored by the next good deployment and only those deployed before it; read back
 * with filters, as `sluice dora` reads them.
 */
import { describe, expect, it } from 'vitest';
import type { NewDeployment } from '../../src/pipelines/store/index.ts';
import { BACKENDS, iso, useBackend } from './run-store-backends.ts';

const ref = { kind: 'Application' as const, namespace: 'apps', app: 'web' };

function deployment(over: Partial<NewDeployment> & { revision: string }): NewDeployment {
  return {
    ...ref,
    key: `Application/apps/web/${over.revision}/h1`,
    environment: 'prod',
    repoURL: 'file:///repo',
    deployedAt: iso(10),
    healthyAt: iso(10),
    outcome: 'Succeeded',
    rollback: false,
    message: '',
    commits: [],
    ...over,
  };
}

describe.each(BACKENDS)('deployment records on $name', ({ start }) => {
  const { backend, open } = useBackend(start);

  it('records a deployment once per key, with its commits, and reads it back', async () => {
    const { store, url } = await open();
    const d = deployment({
      revision: 'a'.repeat(40),
      commitTime: iso(5),
      commits: [
        { sha: 'a'.repeat(40), committedAt: iso(5) },
        { sha: 'b'.repeat(40), committedAt: iso(2) },
      ],
    });
    const first = await store.deployments.record(d);
    const again = await store.deployments.record({ ...d, deployedAt: iso(99) });
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    const rows = await backend().raw(url, 'SELECT COUNT(*) AS n FROM deployments');
    expect(Number(rows[0]?.['n'])).toBe(1);
    const [got] = await store.deployments.list();
    expect(got).toMatchObject({
      id: first.id,
      revision: d.revision,
      commitTime: iso(5),
      deployedAt: iso(10),
      healthyAt: iso(10),
      outcome: 'Succeeded',
      rollback: false,
    });
    expect(got?.commits.map((c) => c.committedAt)).toEqual([iso(2), iso(5)]);
  });

  it('marks a failure once; the next good deployment restores the open failures before it', async () => {
    const { store } = await open();
    const good = await store.deployments.record(deployment({ revision: '1', deployedAt: iso(0) }));
    const bad = await store.deployments.record(
      deployment({
        revision: '2',
        key: 'k2',
        deployedAt: iso(10),
        healthyAt: undefined,
        outcome: 'Failed',
        failureReason: 'SyncFailed',
        failedAt: iso(11),
        message: 'sync failed',
      }),
    );
    expect(await store.deployments.markFailed(good.id, 'RolledBack', iso(12), 'x')).toBe(true);
    expect(await store.deployments.markFailed(good.id, 'RolloutAborted', iso(13), 'y')).toBe(false);
    // A failure deployed after the restoring deployment stays open.
    await store.deployments.record(
      deployment({ revision: '4', key: 'k4', deployedAt: iso(40), outcome: 'Failed' }),
    );
    expect(await store.deployments.restore(ref, iso(30), '3')).toBe(2);
    expect(await store.deployments.restore(ref, iso(31), '3')).toBe(0);
    expect(await store.deployments.markHealthy(bad.id, iso(29))).toBe(true);
    expect(await store.deployments.markHealthy(bad.id, iso(35))).toBe(false);
    const all = await store.deployments.list();
    expect(
      all.map((d) => [d.revision, d.outcome, d.failureReason, d.restoredAt, d.restoredBy]),
    ).toEqual([
      ['1', 'Failed', 'RolledBack', iso(30), '3'],
      ['2', 'Failed', 'SyncFailed', iso(30), '3'],
      ['4', 'Failed', undefined, undefined, undefined],
    ]);
    expect(all[1]?.healthyAt).toBe(iso(29));
    expect((await store.deployments.latest(ref))?.revision).toBe('4');
    expect((await store.deployments.latest(ref, { ran: true }))?.revision).toBe('4');
  });

  it('lists by environment, app and time window', async () => {
    const { store } = await open();
    await store.deployments.record(deployment({ revision: 'p1', key: 'p1', deployedAt: iso(0) }));
    await store.deployments.record(deployment({ revision: 'p2', key: 'p2', deployedAt: iso(60) }));
    await store.deployments.record(
      deployment({ revision: 's1', key: 's1', environment: 'staging', deployedAt: iso(30) }),
    );
    await store.deployments.record(
      deployment({ revision: 'o1', key: 'o1', app: 'api', deployedAt: iso(30) }),
    );
    const revs = async (f: Parameters<typeof store.deployments.list>[0]): Promise<string[]> =>
      (await store.deployments.list(f)).map((d) => d.revision);
    expect(await revs({ environment: 'prod' })).toEqual(['p1', 'o1', 'p2']);
    expect(await revs({ environment: 'prod', app: 'web' })).toEqual(['p1', 'p2']);
    expect(await revs({ since: iso(30) })).toEqual(['s1', 'o1', 'p2']);
    expect(await revs({ until: iso(30), environment: 'staging' })).toEqual(['s1']);
  });
});
