/**
 * The whole loop of issue 12 on the real node, through `sluice controller` as its own process
 * (loop-harness.ts): a developer pushes a commit to the app's source repository; the Trigger
 * (polling, no webhook) starts `web-ci`: clone, test, buildah build and push (the commit SHA as
 * tag), scan gate, set-image into envs/dev of the deploy repository; dev syncs and runs the new
 * image; the Promotion writes the same digest into staging after dev ran it for the soak time;
 * prod waits for `sluice promote approve prod`, then rolls out as a canary whose analysis asks a
 * real Prometheus; `sluice dora` reports the deployments. Then the gates block what they must:
 * a commit whose tests fail, and one whose scan report has a critical finding, reach no
 * environment (no commit in the deploy repository), and the failure is notified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import type { PipelineRun, TaskRun } from '../../src/api/pipeline.ts';
import type { Promotion } from '../../src/api/promotion.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import type { Trigger } from '../../src/api/trigger.ts';
import type { KubeObject } from '../../src/kube/types.ts';

type Pod = KubeObject & {
  spec?: { containers: Array<{ image?: string }> };
  status?: { podIP?: string; phase?: string };
};
import type { DoraReport } from '../../src/delivery/dora/index.ts';
import { startReceiver, type Receiver } from '../../src/delivery/notifications/testing/receiver.ts';
import {
  LOOP_FAILING_TEST_SCRIPT,
  LOOP_TEST_SCRIPT,
  LOOP_PROMOTION,
  LOOP_TRIGGER,
  appName,
  grypeReport,
  type LoopEnvironment,
} from '../../src/demo/loop-samples.ts';
import { openRunStore } from '../../src/pipelines/store/index.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import { eventually, kube, kubeconfigPath, uniqueName } from './harness.ts';
import { startLoop, type Loop } from './loop-harness.ts';
import { condition } from './pipeline-harness.ts';

// One namespace for the whole file: the tests follow one another on the same loop.
const namespace = uniqueName('loop');
const ns = (): string => namespace;
const API = 'sluice.dev/v1alpha1';
let loop: Loop;
let hook: Receiver;

const sluice = (...args: string[]): Promise<ExecResult> =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    { timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1' } },
  );

beforeAll(async () => {
  const k = await kube();
  await k.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns() } });
  loop = await startLoop(k, ns());
  hook = await startReceiver();
  await k.create({
    apiVersion: API,
    kind: 'Notification',
    metadata: { name: 'ci', namespace: ns() },
    spec: {
      triggers: [{ events: ['pipelinerun-failed', 'promotion-awaiting-approval'] }],
      destinations: [{ name: 'team', webhook: { url: `${hook.url}/hook` } }],
    },
  });
}, 900_000);

afterAll(async () => {
  await hook?.close();
  await loop?.stop();
  await (await kube()).delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns() } });
});

const app = (k: Awaited<ReturnType<typeof kube>>, env: LoopEnvironment) =>
  k.get<Application>(API, 'Application', ns(), appName(env));

/** Waits until the environment's app is Synced and Healthy running `image` (a substring). */
async function runs(env: LoopEnvironment, image: string, ms = 180_000): Promise<Application> {
  const k = await kube();
  return eventually(
    `${env} Synced and Healthy on ${image}`,
    async () => {
      const a = await app(k, env);
      const ok =
        a?.status?.sync?.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        (a.status.summary?.images ?? []).some((i) => i.includes(image));
      return ok ? a : undefined;
    },
    ms,
  );
}

/** The PipelineRun the Trigger started for `sha`, once finished. */
async function runFor(sha: string, ms = 300_000): Promise<PipelineRun> {
  const k = await kube();
  return eventually(
    `the run of ${sha.slice(0, 7)} finished`,
    async () => {
      const list = await k.list<PipelineRun>(API, 'PipelineRun', {
        namespace: ns(),
        labelSelector: `sluice.dev/trigger=${LOOP_TRIGGER},sluice.dev/commit=${sha}`,
      });
      const r = list.items[0];
      const s = condition(r)?.status;
      return r && (s === 'True' || s === 'False') ? r : undefined;
    },
    ms,
  );
}

async function taskRuns(run: PipelineRun): Promise<Record<string, TaskRun>> {
  const k = await kube();
  const list = await k.list<TaskRun>(API, 'TaskRun', {
    namespace: ns(),
    labelSelector: `tekton.dev/pipelineRun=${run.metadata.name}`,
  });
  return Object.fromEntries(
    list.items.map((t) => [t.metadata.labels?.['tekton.dev/pipelineTask'] ?? '', t]),
  );
}

const promotion = async () =>
  (await (await kube()).get<Promotion>(API, 'Promotion', ns(), LOOP_PROMOTION))!;
const stepOf = (p: Promotion, env: string) =>
  p.status?.environments?.find((e) => e.name === env)?.candidate;

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execFile('git', args, { cwd: dir });
  return r.stdout.trim();
}

/** The sample app's answer at `/` from a pod of `env` running `digest` (its IP, from here). */
async function answer(env: LoopEnvironment, digest: string): Promise<string> {
  const k = await kube();
  const pods = await k.list<Pod>('v1', 'Pod', {
    namespace: ns(),
    labelSelector: `app=${appName(env)}`,
  });
  const ip = pods.items.find(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status?.phase === 'Running' &&
      p.spec?.containers.some((c) => c.image?.endsWith(digest)),
  )?.status?.podIP;
  if (!ip) return `no running pod of ${env} on ${digest}`;
  return (await fetch(`http://${ip}:8080/`)).text();
}

/** Commits in the deploy repository since `head` that name `sha` (none, when it was blocked). */
async function deployedSince(head: string, sha: string): Promise<string[]> {
  const log = await loop.deployGit('log', '--format=%H %B%x00', `${head}..main`);
  return log
    .split('\0')
    .filter((c) => c.includes(sha))
    .map((c) => c.trim().split(' ')[0] ?? '');
}

describe('from a commit to production', () => {
  let sha = '';
  let digest = '';

  it('a push is tested, built, scanned, pushed and deployed to dev; staging after the soak; prod after approval, as a canary with analysis', async () => {
    const k = await kube();
    for (const env of ['dev', 'staging', 'prod'] as const)
      await runs(env, 'localhost:5000/sample-app:v1');
    await eventually('the Trigger took its baseline', async () => {
      const t = await k.get<Trigger>(API, 'Trigger', ns(), LOOP_TRIGGER);
      return (t?.status?.refs ?? []).length > 0 ? true : undefined;
    });

    const pushedAt = Date.now();
    sha = await loop.push(
      { 'README.md': '# web\n\nNow greets in two languages.\n' },
      'feat: greet',
    );
    const run = await runFor(sha);
    const tasks = await taskRuns(run);
    expect(condition(run)?.status, condition(run)?.message).toBe('True');
    expect(Object.keys(tasks).sort()).toEqual(['build', 'clone', 'deploy-dev', 'scan', 'test']);
    const built = Object.fromEntries(
      (tasks['build']?.status?.results ?? []).map((r) => [
        r.name,
        typeof r.value === 'string' ? r.value : JSON.stringify(r.value),
      ]),
    );
    expect(built['IMAGE_URL']).toBe(`${loop.options.image}:${sha}`);
    expect(built['IMAGE_TAGS']).toBe(`${sha} ${sha.slice(0, 7)}`);
    digest = built['IMAGE_DIGEST'] ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // set-image's commit in the deploy repository names the source commit and the run.
    const devCommit = await loop.deployGit(
      'log',
      '-1',
      '--format=%H%n%B',
      'main',
      '--',
      'envs/dev',
    );
    expect(devCommit).toContain(`Source commit: ${sha}`);
    expect(devCommit).toContain(run.metadata.name);
    const dev = await runs('dev', `${loop.options.image}:${sha}@${digest}`);
    expect(dev.status?.sync?.revision).toBe(devCommit.split('\n')[0]);
    // The new image really runs: the app reports the commit it was built from.
    expect(await answer('dev', digest)).toContain(sha.slice(0, 7));
    process.stderr.write(
      `loop: commit → running in dev ${((Date.now() - pushedAt) / 1000).toFixed(1)} s\n`,
    );

    // staging: written by the Promotion after dev ran the digest for 10 s.
    await runs('staging', digest);
    const staged = await loop.deployGit('log', '-1', '--format=%s', 'main', '--', 'envs/staging');
    expect(staged).toBe(`promote ${loop.options.image} ${digest.slice(0, 19)} to staging`);
    expect(await answer('staging', digest)).toContain(sha.slice(0, 7));

    // prod: nothing without a person.
    await eventually('prod waiting for approval', async () =>
      stepOf(await promotion(), 'prod')?.phase === 'Waiting' ? true : undefined,
    );
    const status = await sluice('promote', 'status');
    expect(status.stdout).toMatch(new RegExp(`web +prod .*${digest.slice(7, 19)} +Waiting`));
    await eventually('the approval request was notified', async () =>
      hook.json().some((b) => JSON.stringify(b).includes('promotion-awaiting-approval'))
        ? true
        : undefined,
    );
    expect(await loop.deployGit('log', '-1', '--format=%s', 'main', '--', 'envs/prod')).toBe(
      'initial',
    );

    const approved = await sluice('promote', 'approve', 'prod', '--reason', 'CHG-42');
    expect(approved.code, approved.stderr).toBe(0);
    // A canary: the analysis on Prometheus passes, then every pod runs the new version.
    const prod = await runs('prod', digest, 240_000);
    const rollout = await k.get<Rollout>(API, 'Rollout', ns(), appName('prod'));
    expect(rollout?.status?.phase).toBe('Healthy');
    const analyses = await k.list<KubeObject & { status?: { phase?: string } }>(
      API,
      'AnalysisRun',
      {
        namespace: ns(),
      },
    );
    expect(analyses.items.map((a) => a.status?.phase)).toContain('Successful');
    expect(prod.status?.sync?.revision).toBe(
      await loop.deployGit('log', '-1', '--format=%H', 'main', '--', 'envs/prod'),
    );
    expect(await answer('prod', digest)).toContain(sha.slice(0, 7));

    // Every step auditable in Git: a line of ordinary commits, never forced.
    expect((await loop.deployGit('log', '--format=%s', 'main')).split('\n').slice(0, 3)).toEqual([
      `promote ${loop.options.image} ${digest.slice(0, 19)} to prod`,
      `promote ${loop.options.image} ${digest.slice(0, 19)} to staging`,
      expect.stringContaining(`${loop.options.image}`) as unknown as string,
    ]);

    const dora = await execFile(
      process.execPath,
      ['bin/sluice.js', 'dora', '--env', 'prod', '--database-url', loop.databaseUrl, '-o', 'json'],
      { timeoutMs: 60_000 },
    );
    expect(dora.code, dora.stderr).toBe(0);
    const report = JSON.parse(dora.stdout) as DoraReport;
    expect(report.deployments.succeeded).toBeGreaterThanOrEqual(2); // the first, and this one
    // The prod deployment's lead time runs from the developer's commit, not the promotion's.
    const store = await openRunStore({ databaseUrl: loop.databaseUrl });
    try {
      const records = await store.deployments.list({ environment: 'prod' });
      const promoted = records.find((r) => r.revision === prod.status?.sync?.revision);
      expect(promoted?.commitTime).toBe(
        new Date(await git(loop.sourceRepo, 'show', '-s', '--format=%cI', sha)).toISOString(),
      );
      expect(promoted?.commits.map((c) => c.sha)).toContain(sha);
    } finally {
      await store.close();
    }
  }, 900_000);

  it('a commit whose tests fail deploys nowhere, and the team is told', async () => {
    expect(digest, 'the first commit reached dev').not.toBe('');
    const k = await kube();
    const head = await loop.deployGit('rev-parse', 'main');
    const bad = await loop.push({ 'test.sh': LOOP_FAILING_TEST_SCRIPT }, 'break the tests');
    const run = await runFor(bad);
    expect(condition(run)?.status).toBe('False');
    const tasks = await taskRuns(run);
    expect(condition(tasks['test'])?.status).toBe('False');
    expect(tasks['deploy-dev']).toBeUndefined();
    expect(run.status?.skippedTasks?.map((s) => s.name)).toContain('deploy-dev');
    expect(await deployedSince(head, bad)).toEqual([]);
    await eventually('the failure was notified', async () =>
      hook.json().some((b) => {
        const text = JSON.stringify(b);
        return text.includes('pipelinerun-failed') && text.includes(run.metadata.name ?? '?');
      })
        ? true
        : undefined,
    );
    const dev = await app(k, 'dev');
    expect(dev?.status?.summary?.images?.join(' ')).toContain(digest);
  }, 600_000);

  it('a commit whose scan finds a critical vulnerability deploys nowhere; the gate names it', async () => {
    const head = await loop.deployGit('rev-parse', 'main');
    // The tests pass again; the scanner's report has a critical finding with a fix.
    const vulnerable = await loop.push(
      {
        'test.sh': LOOP_TEST_SCRIPT,
        'scan/grype.json': grypeReport(loop.options.image, [
          {
            id: 'CVE-2026-31337',
            severity: 'Critical',
            package: 'stdlib',
            version: '1.22.0',
            fixedIn: '1.22.7',
          },
        ]),
      },
      'bump stdlib',
    );
    const run = await runFor(vulnerable);
    expect(condition(run)?.status).toBe('False');
    const tasks = await taskRuns(run);
    expect(condition(tasks['scan'])?.status).toBe('False');
    const log = await sluice(
      'pipeline',
      'logs',
      run.metadata.name ?? '',
      '--task',
      'scan',
      '--database-url',
      loop.databaseUrl,
    );
    expect(log.stdout).toContain('CVE-2026-31337');
    expect(log.stdout).toMatch(/CRITICAL/);
    expect(condition(tasks['test'])?.status).toBe('True');
    expect(tasks['deploy-dev']).toBeUndefined();
    // Nothing of this commit reached the deploy repository.
    expect(await deployedSince(head, vulnerable)).toEqual([]);
  }, 600_000);
});
