/**
 * Triggers against the dev cluster, real Git repositories (file://) and the controller's real
 * `POST /api/webhook`: a signed push starts one run with the commit's params (a bad signature
 * starts nothing, an unknown repository neither); path and branch filters; a repository only
 * polled; a commit seen by the webhook and by polling, or again after a lost status write or a
 * restart, runs once; a missing Pipeline and an unreachable repository say so; `sluice trigger`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Trigger } from '../../src/api/trigger.ts';
import { execFile } from '../../src/util/exec.ts';
import { createRepo } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import {
  createPipeline,
  genericPush,
  getTrigger,
  githubPush,
  handled,
  paramsOf,
  runsFor,
  runsOf,
  startTriggers,
  trigger,
} from './triggers-harness.ts';

const ns = useNamespace('trig');
const MAIN = 'refs/heads/main';

async function sluice(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return execFile(process.execPath, ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath()], {
    env: { ...process.env, SLUICE_CONTROLLER_NAMESPACE: ns() },
    timeoutMs: 60_000,
  });
}

describe('Triggers', () => {
  it('a signed push starts one run with the commit as params; a bad signature or an unknown repository starts nothing', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    const { url } = await startTriggers(k, ns());
    await k.create(trigger(ns(), 'ci', repo.url, { branches: ['main'], pollInterval: '0' }));
    await handled(k, ns(), 'ci', MAIN, first);

    const sha = await repo.commit({ 'src/app.ts': 'v2\n', 'src/b.ts': 'b\n' }, 'Add b\n\nbecause');
    const refused = await githubPush(url, repo.url, MAIN, 'wrong-secret');
    expect(refused.status).toBe(401);
    const unknown = await githubPush(url, 'https://git.example.com/other/repo.git', MAIN);
    expect(unknown).toEqual({ status: 200, json: { refreshed: [] } });
    await sleep(1500);
    expect(await runsOf(k, ns(), 'ci')).toEqual([]);

    const pushed = await githubPush(url, repo.url, MAIN);
    expect(pushed.status).toBe(200);
    expect(pushed.json.refreshed).toEqual([`Trigger/${ns()}/ci`]);
    const [run] = await eventually('the run', async () => {
      const runs = await runsFor(k, ns(), 'ci', sha);
      return runs.length > 0 ? runs : undefined;
    });
    expect(paramsOf(run!)).toEqual({
      revision: sha,
      short: sha.slice(0, 7),
      branch: 'main',
      ref: MAIN,
      repo: repo.url,
      author: 'Test <test@example.com>',
      message: 'Add b\n\nbecause',
      files: '2',
    });
    expect(run!.spec.pipelineRef).toEqual({ name: 'build' });
    expect(run!.metadata.labels).toMatchObject({
      'sluice.dev/trigger': 'ci',
      'sluice.dev/commit': sha,
      'sluice.dev/trigger-source': 'webhook',
    });
    const t = (await getTrigger(k, ns(), 'ci')) as Trigger;
    expect(t.status?.refs).toHaveLength(1);
    expect(t.status?.refs?.[0]).toMatchObject({
      ref: MAIN,
      commit: sha,
      outcome: 'Started',
      lastRun: { name: run!.metadata.name, commit: sha },
    });
    expect(t.status?.lastEvent).toMatchObject({ source: 'webhook', outcome: 'Started' });
    expect(t.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Watching' });

    // The same push again: still one run.
    await githubPush(url, repo.url, MAIN);
    await sleep(1000);
    expect(await runsFor(k, ns(), 'ci', sha)).toHaveLength(1);

    // What a user sees: the run in `sluice pipeline runs`, the trigger in `sluice trigger get`.
    const runs = await sluice('pipeline', 'runs', '-n', ns(), '-o', 'json');
    expect(runs.code).toBe(0);
    expect((JSON.parse(runs.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual([
      run!.metadata.name,
    ]);
    const got = await sluice('trigger', 'get', 'ci', '-n', ns(), '-o', 'json');
    expect(got.code).toBe(0);
    const view = JSON.parse(got.stdout) as { runs: Array<{ name: string; commit: string }> };
    expect(view.runs).toEqual([expect.objectContaining({ name: run!.metadata.name, commit: sha })]);

    // `sluice server` marks a Trigger for a push with the refresh annotation: a check follows.
    const next = await repo.commit({ 'src/app.ts': 'v3\n' }, 'third');
    await k.mergePatch(t, {
      metadata: { annotations: { 'sluice.dev/refresh': new Date().toISOString() } },
    });
    await handled(k, ns(), 'ci', MAIN, next);
    expect(await runsFor(k, ns(), 'ci', next)).toHaveLength(1);
  });

  it('path, branch and tag filters: docs-only commits and other branches start nothing; a new matching branch and a tag do', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n', 'docs/a.md': 'a\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    await startTriggers(k, ns());
    await k.create(
      trigger(ns(), 'ci', repo.url, {
        branches: ['main', 'release/*'],
        tags: ['v*'],
        paths: ['src/**'],
        pollInterval: '1s',
      }),
    );
    await handled(k, ns(), 'ci', MAIN, first);

    const docs = await repo.commit({ 'docs/a.md': 'b\n' }, 'docs only');
    const skipped = await handled(k, ns(), 'ci', MAIN, docs);
    expect(skipped.outcome).toBe('Skipped');
    expect((await getTrigger(k, ns(), 'ci'))?.status?.lastEvent).toMatchObject({
      outcome: 'Skipped',
      message: 'no changed file matches paths (1 changed)',
    });

    await repo.git('checkout', '-q', '-b', 'feature/x');
    await repo.commit({ 'src/app.ts': 'feature\n' }, 'feature');
    await repo.git('checkout', '-q', '-b', 'release/1', 'main');
    const release = await repo.commit({ 'src/app.ts': 'release\n' }, 'release 1');
    const [run] = await eventually('the release run', async () => {
      const r = await runsFor(k, ns(), 'ci', release);
      return r.length > 0 ? r : undefined;
    });
    expect(paramsOf(run!)).toMatchObject({
      branch: 'release/1',
      files: '1',
      ref: 'refs/heads/release/1',
    });

    // A tag is not filtered by path: the docs-only commit, tagged, runs.
    await repo.git('tag', '-a', '-m', 'v1.0', 'v1.0', docs);
    const [tagged] = await eventually('the tag run', async () => {
      const r = await runsFor(k, ns(), 'ci', docs);
      return r.length > 0 ? r : undefined;
    });
    expect(paramsOf(tagged!)).toMatchObject({ branch: '', ref: 'refs/tags/v1.0' });
    await sleep(1500);
    const t = await getTrigger(k, ns(), 'ci');
    expect(t?.status?.refs?.map((r) => r.ref).sort()).toEqual([
      MAIN,
      'refs/heads/release/1',
      'refs/tags/v1.0',
    ]);
    expect(await runsOf(k, ns(), 'ci')).toHaveLength(2);
  });

  it('a commit seen by polling and by the webhook, or again after a lost status write or a restart, runs once', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-trig-'));
    onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
    const a = await startTriggers(k, ns(), { cacheDir });
    await k.create(trigger(ns(), 'ci', repo.url, { branches: ['main'], pollInterval: '1s' }));
    await handled(k, ns(), 'ci', MAIN, first);

    // Poll only: no webhook at all.
    const second = await repo.commit({ 'src/app.ts': 'v2\n' }, 'second');
    await handled(k, ns(), 'ci', MAIN, second);
    expect(await runsFor(k, ns(), 'ci', second)).toHaveLength(1);
    expect((await getTrigger(k, ns(), 'ci'))?.status?.lastEvent?.source).toBe('poll');

    // Both: a push and the polls racing it.
    const third = await repo.commit({ 'src/app.ts': 'v3\n' }, 'third');
    await genericPush(a.url, repo.url, MAIN);
    await handled(k, ns(), 'ci', MAIN, third);
    await sleep(2500);
    expect(await runsFor(k, ns(), 'ci', third)).toHaveLength(1);

    // A status write lost after the run was created (a crash between the two): the commit is
    // seen as new again, and its run is found, not started twice.
    const t = (await getTrigger(k, ns(), 'ci')) as Trigger;
    const refs = (t.status?.refs ?? []).map((r) => (r.ref === MAIN ? { ...r, commit: second } : r));
    await k.mergePatch(t, { status: { refs } }, { subresource: 'status' });
    await eventually('the commit found again', async () => {
      const now = await getTrigger(k, ns(), 'ci');
      const main = now?.status?.refs?.find((r) => r.ref === MAIN);
      return main?.commit === third && main.outcome === 'Existing' ? main : undefined;
    });
    expect(await runsFor(k, ns(), 'ci', third)).toHaveLength(1);

    // A push while no controller runs is not lost; earlier commits do not run again.
    await a.stop();
    const fourth = await repo.commit({ 'src/app.ts': 'v4\n' }, 'fourth');
    await startTriggers(k, ns());
    await handled(k, ns(), 'ci', MAIN, fourth);
    expect(await runsFor(k, ns(), 'ci', fourth)).toHaveLength(1);
    expect(await runsOf(k, ns(), 'ci')).toHaveLength(3);
  });

  it('a missing Pipeline is named and starts nothing until it exists; an unreachable repository says so', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await startTriggers(k, ns());
    await k.create(trigger(ns(), 'ci', repo.url, { pollInterval: '1s' }));
    await k.create(
      trigger(ns(), 'gone', 'file:///nonexistent/sluice/repo.git', { pollInterval: '1s' }),
    );
    await handled(k, ns(), 'ci', MAIN, first);

    const sha = await repo.commit({ 'src/app.ts': 'v2\n' }, 'second');
    const cond = await eventually('PipelineNotFound', async () => {
      const c = (await getTrigger(k, ns(), 'ci'))?.status?.conditions?.[0];
      return c?.reason === 'PipelineNotFound' ? c : undefined;
    });
    expect(cond.status).toBe('False');
    expect(cond.message).toContain(
      `Pipeline ${ns()}/build not found: no run started for main@${sha.slice(0, 7)}`,
    );
    expect(await runsOf(k, ns(), 'ci')).toEqual([]);

    await createPipeline(k, ns());
    await eventually(
      'the run once the Pipeline exists',
      async () => {
        const r = await runsFor(k, ns(), 'ci', sha);
        return r.length === 1 ? r : undefined;
      },
      45_000,
    );
    const ready = await eventually('Ready again', async () => {
      const c = (await getTrigger(k, ns(), 'ci'))?.status?.conditions?.[0];
      return c?.reason === 'Watching' ? c : undefined;
    });
    expect(ready.status).toBe('True');

    const gone = await eventually('RepoUnreachable', async () => {
      const c = (await getTrigger(k, ns(), 'gone'))?.status?.conditions?.[0];
      return c?.reason === 'RepoUnreachable' ? c : undefined;
    });
    expect(gone.message).toContain('repo file:///nonexistent/sluice/repo.git');
  });

  it('`sluice trigger run` starts a run by hand for a revision; `trigger list` shows the trigger', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await repo.commit({ 'src/app.ts': 'v2\n' }, 'second');
    await createPipeline(k, ns());
    await startTriggers(k, ns(), { leader: true });
    await k.create(trigger(ns(), 'ci', repo.url, { branches: ['main'], pollInterval: '0' }));

    const out = await sluice(
      'trigger',
      'run',
      'ci',
      '-n',
      ns(),
      '--revision',
      first.slice(0, 8),
      '--branch',
      'main',
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const name = /pipelinerun\/(\S+) started for/.exec(out.stdout)?.[1];
    const [run] = await runsFor(k, ns(), 'ci', first);
    expect(run?.metadata.name).toBe(name);
    expect(run?.metadata.labels?.['sluice.dev/trigger-source']).toBe('manual');
    expect(paramsOf(run!)).toMatchObject({ revision: first, branch: 'main' });

    const bad = await sluice('trigger', 'run', 'ci', '-n', ns(), '--revision', 'no-such-branch');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('no run started');
    expect(bad.stderr).toContain('revision "no-such-branch" not found');

    const list = await sluice('trigger', 'list', '-n', ns(), '-o', 'json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'ci', policy: 'Allow', ready: 'True', reason: 'Watching' }),
    ]);
  });
});
