/**
 * The recorder end to end without a cluster: Application and Rollout caches fed by hand, an
 * in-memory SQLite store and a commit history given as data. It records two deploys, a failed
 * sync and the restore; a restarted recorder records nothing twice; a rollback and a Rollout
 * abort are failures; only the leader records.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../../api/application.ts';
import type { Rollout } from '../../api/rollout.ts';
import { application, failedStatus, syncedStatus } from '../../gitops/testing/fixtures.ts';
import type { InformerEventType } from '../../kube/informer.ts';
import { openRunStore, type RunStore } from '../../pipelines/store/index.ts';
import { silentLogger } from '../../util/log.ts';
import { DoraRecorder, type CommitSource, type ObjectSource } from './recorder.ts';

type Listener<T> = (type: InformerEventType, obj: T, old: T | undefined) => void;

class Cache<
  T extends { metadata: { namespace?: string; name?: string } },
> implements ObjectSource<T> {
  private readonly items = new Map<string, T>();
  private readonly listeners: Array<Listener<T>> = [];
  list(): T[] {
    return [...this.items.values()];
  }
  get(namespace: string, name: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }
  onEvent(l: Listener<T>): void {
    this.listeners.push(l);
  }
  set(obj: T): void {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const l of this.listeners) l(old ? 'modified' : 'added', obj, old);
  }
}

/** A linear history c1 → c2 → …, committed an hour apart from 2026-12-01T00:00Z. */
const SHAS = ['1', '2', '3', '4', '5'].map((c) => c.repeat(40));
const commitTime = (sha: string): string =>
  new Date(Date.parse('2026-12-01T00:00:00Z') + SHAS.indexOf(sha) * 3_600_000).toISOString();
/** Messages by commit (default: a plain subject); a test sets them before recording. */
let messages: Record<string, string> = {};
const history: CommitSource = {
  commits: (_repo, sha, since) => {
    const to = SHAS.indexOf(sha);
    const from = since === undefined ? to - 1 : SHAS.indexOf(since);
    const list = SHAS.slice(from + 1, to + 1).reverse();
    return Promise.resolve(
      list.map((s) => ({
        sha: s,
        committedAt: commitTime(s),
        message: messages[s] ?? `commit ${s[0] ?? ''}\n`,
      })),
    );
  },
  isAncestor: (_repo, a, b) => Promise.resolve(SHAS.indexOf(a) < SHAS.indexOf(b)),
};

const T = (minutes: number): string =>
  new Date(Date.parse('2026-12-01T06:00:00Z') + minutes * 60_000).toISOString();

let entries: NonNullable<ApplicationStatus['history']> = [];
function deployed(sha: string, minutes: number): Application {
  entries = [
    ...entries,
    { id: entries.length + 1, revision: sha, deployedAt: T(minutes), initiatedBy: 'automated' },
  ];
  const status = syncedStatus(sha, { history: entries });
  status.operationState = {
    ...status.operationState!,
    startedAt: T(minutes - 1),
    finishedAt: T(minutes),
  };
  return app(status);
}
function failed(sha: string, minutes: number): Application {
  const status = failedStatus(sha, { syncedRevision: sha, finishedAt: T(minutes) });
  status.operationState = { ...status.operationState!, startedAt: T(minutes - 1) };
  return app({ ...status, history: entries });
}
const app = (status: ApplicationStatus): Application => {
  const a = application({ name: 'web', namespace: 'apps', status });
  a.metadata.labels = { 'sluice.dev/environment': 'prod' };
  return a;
};

let store: RunStore;
let apps: Cache<Application>;
let rollouts: Cache<Rollout>;
let leader: AbortController;

function recorder(): DoraRecorder {
  return (current = new DoraRecorder({
    store: store.deployments,
    applications: apps,
    rollouts,
    commits: history,
    log: silentLogger,
  }));
}
let current: DoraRecorder | undefined;
/** Until the recorder has nothing queued or running. */
async function settle(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await new Promise((r) => setTimeout(r, 10));
    if (!current || current.pending === 0) return;
  }
  throw new Error('the recorder did not settle within 5 s');
}
const summary = async (): Promise<string[]> =>
  (await store.deployments.list()).map(
    (d) =>
      `${d.revision[0]} ${d.outcome}${d.failureReason ? `/${d.failureReason}` : ''}${d.rollback ? ' rollback' : ''}` +
      `${d.restoredBy ? ` restoredBy ${d.restoredBy[0]}` : ''} commits ${d.commits.map((c) => c.sha[0]).join('')}`,
  );

beforeEach(async () => {
  store = await openRunStore({ databaseUrl: 'sqlite::memory:' });
  apps = new Cache();
  rollouts = new Cache();
  leader = new AbortController();
  entries = [];
  messages = {};
});
afterEach(async () => {
  leader.abort();
  await store.close();
});

describe('DoraRecorder', () => {
  it('two deploys, a failed sync, a restore; a restart records nothing twice', async () => {
    const r = recorder();
    r.startLeading(leader.signal);
    apps.set(deployed(SHAS[0]!, 0));
    await settle();
    apps.set(deployed(SHAS[1]!, 60));
    await settle();
    apps.set(failed(SHAS[2]!, 120));
    await settle();
    apps.set(deployed(SHAS[3]!, 180));
    await settle();
    await r.stop();
    const want = [
      '1 Succeeded commits 1',
      '2 Succeeded commits 2',
      '3 Failed/SyncFailed restoredBy 4 commits 3',
      '4 Succeeded commits 34',
    ];
    expect(await summary()).toEqual(want);
    const [, , bad, fix] = await store.deployments.list();
    expect(bad).toMatchObject({
      deployedAt: T(119),
      failedAt: T(120),
      restoredAt: T(180),
      environment: 'prod',
    });
    expect(fix).toMatchObject({
      deployedAt: T(180),
      healthyAt: T(180),
      commitTime: commitTime(SHAS[3]!),
    });

    const again = recorder();
    again.startLeading(leader.signal);
    await settle();
    await again.stop();
    expect(await summary()).toEqual(want);
  });

  it('deploy commits naming their source commit time: lead time from the source commit', async () => {
    const src = (c: string): string => c.repeat(40);
    // c2: set-image of source a (committed 20 min before it); c3: a commit by hand; c4: the
    // promotion of source a's digest (its trailers again) and c5: set-image of source b.
    messages = {
      [SHAS[1]!]: `set-image: envs/dev -> web:a\n\nSource commit: ${src('a')}\nSource commit time: 2026-12-01T00:40:00Z\nRun: ci-1\n`,
      [SHAS[3]!]: `promote web to prod\n\nSource-Commit: ${src('a')}\nSource-Commit-Time: 2026-12-01T01:40:00+01:00\n`,
      [SHAS[4]!]: `set-image: envs/dev -> web:b\n\nSource commit: ${src('b')}\nSource commit time: 2026-12-01T03:30:00Z\n`,
    };
    const r = recorder();
    r.startLeading(leader.signal);
    apps.set(deployed(SHAS[0]!, 0));
    await settle();
    apps.set(deployed(SHAS[1]!, 60));
    await settle();
    apps.set(deployed(SHAS[4]!, 120));
    await settle();
    await r.stop();
    const [, first, second] = await store.deployments.list();
    expect(first).toMatchObject({
      revision: SHAS[1],
      commitTime: '2026-12-01T00:40:00.000Z',
      commits: [{ sha: src('a'), committedAt: '2026-12-01T00:40:00.000Z' }],
    });
    // Over c2: c3 by hand, a (once, though c4 carries it too) and b; the revision's own is b's.
    expect(second?.commitTime).toBe('2026-12-01T03:30:00.000Z');
    expect(second?.commits).toEqual([
      { sha: src('a'), committedAt: '2026-12-01T00:40:00.000Z' },
      { sha: SHAS[2], committedAt: commitTime(SHAS[2]!) },
      { sha: src('b'), committedAt: '2026-12-01T03:30:00.000Z' },
    ]);
  });

  it('a rollback fails the deployment rolled back and is no change of its own', async () => {
    const r = recorder();
    r.startLeading(leader.signal);
    apps.set(deployed(SHAS[0]!, 0));
    await settle();
    apps.set(deployed(SHAS[1]!, 60));
    await settle();
    apps.set(deployed(SHAS[0]!, 90));
    await settle();
    await r.stop();
    expect(await summary()).toEqual([
      '1 Succeeded commits 1',
      '2 Failed/RolledBack restoredBy 1 commits 2',
      '1 Succeeded rollback commits ',
    ]);
  });

  it('an aborted Rollout of the app fails its revision; promoting it later restores', async () => {
    const r = recorder();
    r.startLeading(leader.signal);
    apps.set(deployed(SHAS[0]!, 0));
    await settle();
    const canary = deployed(SHAS[1]!, 60);
    canary.status!.health = { status: 'Degraded' };
    rollouts.set({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: {
        name: 'web',
        namespace: 'web',
        annotations: { 'sluice.dev/tracking-id': 'apps_web:sluice.dev/Rollout:web/web' },
      },
      spec: { strategy: {} },
      status: {
        phase: 'Degraded',
        abort: true,
        abortedAt: T(70),
        currentPodHash: 'b',
        stableRS: 'a',
      },
    } as unknown as Rollout);
    apps.set(canary);
    await settle();
    expect((await summary())[1]).toBe('2 Failed/RolloutAborted commits 2');
    const healed = structuredClone(canary);
    healed.status!.health = { status: 'Healthy' };
    healed.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: T(100) }];
    apps.set(healed);
    await settle();
    await r.stop();
    const [, d] = await store.deployments.list();
    expect(d).toMatchObject({ outcome: 'Failed', healthyAt: T(100), restoredAt: T(100) });
  });

  it('a replica that does not lead records nothing', async () => {
    const r = recorder();
    apps.set(deployed(SHAS[0]!, 0));
    await settle();
    await r.stop();
    expect(await summary()).toEqual([]);
  });
});
