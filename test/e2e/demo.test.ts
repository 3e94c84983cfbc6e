/**
 * `npm run demo` on its own dev cluster, twice (issue 8, item 10; issue 10, item 10): the six
 * sample Applications (plain YAML, a Kustomize base with dev and prod overlays, a Helm chart with
 * a migration hook, a real app, a canary Rollout) reach Synced/Healthy; the canary walk-through
 * really aborts the bad version (its AnalysisRun Failed on Prometheus' numbers, the stable version
 * answers everything again) and promotes the good one; the steps it prints work when pasted into
 * a shell in another directory, on the first run and on the second (which finds the first run's
 * commits and its rollback); Ctrl-C stops the controller, leaves the cluster running and says how
 * to remove it. The CI part (issue 11): the hello-ci Pipeline, synced from Git, runs once per demo
 * on the real node — Succeeded, publish skipped by its `when`, build's digest passed to report —
 * and the printed steps read its logs from the run store once its pods are deleted, start a run
 * that publishes, and run the same Pipeline locally to the same digest. The loop (issue 12,
 * item 7): a commit to the web app's source reaches dev, staging and (approved) prod as a canary
 * with a passing analysis, the same digest in all three; `sluice dora` counts it; step 7's commit
 * runs through CI; the second run continues from the first one's repositories.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../../src/api/analysis.ts';
import type { Application } from '../../src/api/application.ts';
import type { PipelineRun, TaskRun } from '../../src/api/pipeline.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import { clusterPaths } from '../../src/devcluster/paths.ts';
import { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually } from './harness.ts';

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  interrupt: () => void;
}

function startDemo(name: string, dir: string): Run {
  const child = spawn(
    process.execPath,
    [
      'bin/sluice.js',
      'demo',
      '--cluster-name',
      name,
      '--dir',
      dir,
      '--work-dir',
      join(dir, '..', 'work'),
      '--timeout',
      '300',
    ],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    stdout: () => out,
    stderr: () => err,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    interrupt: () => child.kill('SIGINT'),
  };
}

/** The printed steps as a script: every indented line of "Try next" that is not a comment. */
function script(stdout: string): string {
  const block = stdout.slice(stdout.indexOf('Try next'), stdout.indexOf('The controller keeps'));
  const lines = block
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('  ') && !l.trim().startsWith('#'));
  return ['set -euo pipefail', ...lines.map((l) => l.trim())].join('\n') + '\n';
}

/** Runs one demo until it waits for Ctrl-C, then its printed steps from `cwd`, then Ctrl-C. */
async function runOnce(
  name: string,
  repo: string,
  cwd: string,
): Promise<{ demo: Run; steps: string }> {
  const demo = startDemo(name, repo);
  let exited: number | null | undefined;
  void demo.exited.then((code) => (exited = code));
  // The first run on a machine builds the loop's images (buildah, Sluice's): minutes.
  const deadline = Date.now() + 1_200_000;
  while (!demo.stdout().includes('The controller keeps running')) {
    if (exited !== undefined) throw new Error(`demo exited ${String(exited)}:\n${demo.stderr()}`);
    if (Date.now() > deadline) throw new Error(`demo did not converge:\n${demo.stderr()}`);
    await sleep(500);
  }
  const file = join(cwd, 'steps.sh');
  await writeFile(file, script(demo.stdout()));
  // A shell elsewhere, whose PATH has no Node 24 and no project binaries.
  const r = await execFile('bash', [file], {
    cwd,
    // Steps 1-7 wait for syncs, a rollback, two pipeline runs and the loop's: minutes when busy.
    timeoutMs: 480_000,
    env: { HOME: process.env['HOME'] ?? '/root', PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
  expect(r.code, `${r.stdout}\n${r.stderr}\n--- script:\n${script(demo.stdout())}`).toBe(0);
  demo.interrupt();
  expect(await demo.exited).toBe(0);
  return { demo, steps: r.stdout };
}

interface ReplicaSet extends KubeObject {
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } };
  };
}

interface Version {
  hash: string;
  errorRate: string;
  replicas: number;
  run: AnalysisRun | undefined;
}

/** The canary app as a user checks it: the Rollout, and each version with its analysis. */
async function canaryState(
  name: string,
): Promise<{ rollout: Rollout | undefined; versions: Map<string, Version> }> {
  const kube = await Kube.connect(clusterPaths(name).kubeconfig);
  try {
    const rollout = await kube.get<Rollout>('sluice.dev/v1alpha1', 'Rollout', 'canary', 'web');
    const sets = await kube.list<ReplicaSet>('apps/v1', 'ReplicaSet', { namespace: 'canary' });
    const runs = await kube.list<AnalysisRun>('sluice.dev/v1alpha1', 'AnalysisRun', {
      namespace: 'canary',
    });
    const versions = new Map<string, Version>();
    for (const rs of sets.items) {
      const env = rs.spec?.template?.spec?.containers?.[0]?.env ?? [];
      const hash = rs.metadata.labels?.['rollouts-pod-template-hash'] ?? '';
      versions.set(env.find((e) => e.name === 'VERSION')?.value ?? '?', {
        hash,
        errorRate: env.find((e) => e.name === 'ERROR_RATE')?.value ?? '?',
        replicas: rs.spec?.replicas ?? 0,
        run: runs.items.find((r) => r.metadata.labels?.['rollouts-pod-template-hash'] === hash),
      });
    }
    return { rollout, versions };
  } finally {
    await kube.close();
  }
}

/** Each measured value of a run's metric (Prometheus' `[0.48]` read as 0.48). */
const values = (run: AnalysisRun | undefined): number[] =>
  (run?.status?.metricResults?.[0]?.measurements ?? [])
    .filter((m) => m.value !== undefined)
    .map((m) => (JSON.parse(m.value ?? '[]') as number[])[0] ?? NaN);

/**
 * The walk-through of one run: `bad` aborted by its analysis (a success rate below 0.95 measured
 * on Prometheus), the stable version answering everything afterwards, then `good` measured at
 * 0.95 or more and promoted to stable; within two minutes.
 */
async function expectWalkthrough(
  name: string,
  demo: Run,
  [stable, bad, good]: [string, string, string],
): Promise<void> {
  const progress = demo.stderr();
  // The abort says why: the run that failed, the value it measured, the bar it missed.
  const abort = /aborted by itself: (.*)/.exec(progress)?.[1] ?? '';
  expect(abort).toMatch(/^RolloutAborted: .*analysis run web-\w+-2 Failed/);
  expect(abort).toMatch(/\b0\.[0-8]\d*\b/);
  expect(abort).toContain('0.95');
  expect(progress).toContain(`traffic back on the stable version: ${stable} 40 of 40 (100 %)`);
  expect(progress).toContain(`after the promotion: ${good} 40 of 40 (100 %)`);
  const took = Number(/walk-through took ([\d.]+)s/.exec(progress)?.[1]);
  expect(took).toBeLessThan(120);
  expect(demo.stdout()).toContain('$ sluice rollout get web -n canary');

  const { rollout, versions } = await canaryState(name);
  const b = versions.get(bad);
  const g = versions.get(good);
  expect(b).toMatchObject({ errorRate: '0.5', replicas: 0 });
  expect(b?.run?.status?.phase).toBe('Failed');
  expect(values(b?.run).some((v) => v < 0.95)).toBe(true);
  expect(g).toMatchObject({ errorRate: '0', replicas: 4 });
  expect(g?.run?.status?.phase).toBe('Successful');
  expect(values(g?.run)).toHaveLength(3);
  expect(values(g?.run).every((v) => v >= 0.95)).toBe(true);
  expect(rollout?.status).toMatchObject({ phase: 'Healthy', stableRS: g?.hash });
}

const API = 'sluice.dev/v1alpha1';
const DIGEST = /sha256:[0-9a-f]{64}/;

/** The demo's PipelineRun (as it printed `sluice pipeline get`), checked as a user would. */
async function expectCiRun(name: string, demo: Run): Promise<{ run: string; digest: string }> {
  const run = /^\$ sluice pipeline get (\S+) -n ci$/m.exec(demo.stdout())?.[1] ?? '';
  expect(run).toMatch(/^hello-ci-run-/);
  expect(demo.stderr()).toMatch(
    new RegExp(`CI: ${run} Succeeded in [\\d.]+s; the run store holds`),
  );
  const kube = await Kube.connect(clusterPaths(name).kubeconfig);
  try {
    const pr = await kube.get<PipelineRun>(API, 'PipelineRun', 'ci', run);
    expect(pr?.status?.conditions?.find((c) => c.type === 'Succeeded')).toMatchObject({
      status: 'True',
      reason: 'Completed',
    });
    // Quick on a warm cluster (~15 s); the bound only catches a run that hangs.
    const took =
      Date.parse(pr?.status?.completionTime ?? '') - Date.parse(pr?.status?.startTime ?? '');
    expect(took).toBeLessThan(60_000);
    expect(pr?.status?.skippedTasks).toEqual([
      expect.objectContaining({ name: 'publish', reason: 'When Expressions evaluated to false' }),
    ]);
    const trs = await kube.list<TaskRun>(API, 'TaskRun', {
      namespace: 'ci',
      labelSelector: `sluice.dev/pipelineRun=${run}`,
    });
    const by = new Map(trs.items.map((t) => [t.metadata.labels?.['sluice.dev/pipelineTask'], t]));
    expect([...by.keys()].sort()).toEqual(['build', 'fetch', 'report', 'summary', 'test']);
    const digest = by.get('build')?.status?.results?.find((r) => r.name === 'digest')?.value;
    expect(digest).toMatch(DIGEST);
    expect(by.get('report')?.spec.params?.find((p) => p.name === 'digest')?.value).toBe(digest);
    expect(pr?.status?.results).toContainEqual(
      expect.objectContaining({ name: 'digest', value: digest }),
    );
    // The printed steps deleted its pods; `sluice pipeline logs` still read them (the store).
    const pods = await kube.list('v1', 'Pod', {
      namespace: 'ci',
      labelSelector: `sluice.dev/pipelineRun=${run}`,
    });
    expect(pods.items).toEqual([]);
    return { run, digest: typeof digest === 'string' ? digest : '' };
  } finally {
    await kube.close();
  }
}

/** The printed CI steps: logs from the store, a run that publishes, the same run locally. */
function expectCiSteps(steps: string, ci: { run: string; digest: string }): void {
  const said = (task: string, line: string): RegExp =>
    new RegExp(`^\\[${task} : ${task}\\] ${line}$`, 'm');
  // `sluice pipeline logs RUN` after the pods were deleted: the run store's copy.
  expect(steps).toMatch(said('report', `hello ${ci.run}: tested, built ${ci.digest}`));
  expect(steps).toMatch(said('summary', 'tasks: Completed \\(publish: None\\)'));
  // `start -p publish=true --showlog`: publish ran this time.
  expect(steps).toMatch(said('publish', `published hello.tar.gz \\(${ci.digest}\\) to releases/`));
  expect(steps).toMatch(said('summary', 'tasks: Succeeded \\(publish: Succeeded\\)'));
  // `get --last hello-ci`: that run, Succeeded, its digest the same.
  expect(steps).toMatch(new RegExp(`^Results: +digest=${ci.digest}$`, 'm'));
  expect(steps).toMatch(/^ +└─ publish +Succeeded /m);
  // Three runs reported the same digest: the demo's (from the store), the one started, and
  // `run -f ci -f RUN --local`'s (the same Pipeline on this machine, the same sources).
  const reported = [...steps.matchAll(/^\[report : report\] hello (\S+): tested, built (\S+)$/gm)];
  expect(reported.map((m) => m[2])).toEqual([ci.digest, ci.digest, ci.digest]);
  expect(new Set(reported.map((m) => m[1])).size).toBe(3);
}

/**
 * The loop walk of one run: the commit it pushed went through CI to dev, staging and, after the
 * demo's approval, prod — the same digest everywhere, prod a Rollout whose analysis passed — and
 * `sluice dora` counted it. Answers the digest.
 */
async function expectLoop(name: string, demo: Run): Promise<string> {
  const progress = demo.stderr();
  const digest = /built and pushed \S+ \((sha256:[0-9a-f]{64})\)/.exec(progress)?.[1] ?? '';
  expect(digest, progress).toMatch(DIGEST);
  for (const env of ['dev', 'staging', 'prod']) expect(progress).toContain(`${env} runs it,`);
  expect(progress).toMatch(/prod runs it, .*Rollout Healthy; analysis \S+: Successful/);
  expect(demo.stdout()).toMatch(
    /\$ sluice promote status -n loop\n(?:.*\n){1,3}web +prod .*Waiting/,
  );
  expect(demo.stdout()).toMatch(/^Lead time for changes +\S+/m);
  const kube = await Kube.connect(clusterPaths(name).kubeconfig);
  try {
    // Prod runs what the demo approved. Step 7 has since pushed a commit of its own through CI,
    // so dev (and, after its soak, staging) may run that newer build: the same image, by SHA and
    // digest, once they settle.
    const prod = await kube.get<Application>(API, 'Application', 'loop', 'web-prod');
    expect(prod?.status?.summary?.images?.join(' ')).toContain(digest);
    for (const env of ['dev', 'staging', 'prod']) {
      const a = await eventually(
        `web-${env} Synced and Healthy`,
        async () => {
          const app = await kube.get<Application>(API, 'Application', 'loop', `web-${env}`);
          const s = app?.status;
          return s?.sync?.status === 'Synced' && s.health?.status === 'Healthy' ? app : undefined;
        },
        120_000,
      );
      expect(a.status?.summary?.images?.join(' ')).toMatch(
        /\/loop\/web:[0-9a-f]{40}@sha256:[0-9a-f]{64}/,
      );
    }
    const ro = await kube.get<Rollout>(API, 'Rollout', 'loop', 'web-prod');
    expect(ro?.status?.phase).toBe('Healthy');
  } finally {
    await kube.close();
  }
  return digest;
}

/** Step 7: a commit of one's own went through CI (its logs), the promotion, the DORA table. */
function expectLoopSteps(steps: string): void {
  expect(steps).toMatch(/^\[deploy-dev : \S+\] /m);
  expect(steps).toMatch(/^web +dev +/m);
  expect(steps).toMatch(/^Deployment frequency +\S+/m);
}

const deployments = (steps: string): string[] =>
  [...steps.matchAll(/^guestbook-ui\s+(\d+\/\d+)/gm)].map((m) => m[1] ?? '');

describe('sluice demo', () => {
  it('converges, its printed steps work from anywhere, twice; Ctrl-C says the cluster stays', async () => {
    const name = `demo-${process.pid}`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
    const repo = join(dir, 'repo');
    try {
      const first = await runOnce(name, repo, dir);
      expect(first.demo.stderr()).toContain('all 7 Applications are Synced and Healthy');
      await expectWalkthrough(name, first.demo, ['v1', 'v2', 'v3']);
      const ci = await expectCiRun(name, first.demo);
      expectCiSteps(first.steps, ci);
      const shipped = await expectLoop(name, first.demo);
      expectLoopSteps(first.steps);
      // Step 5: the Rollout as `sluice rollout get` shows it, and Prometheus' numbers per version.
      expect(first.steps).toMatch(/^Status: +Healthy/m);
      expect(first.steps).toMatch(/"rollouts_pod_template_hash":"\w+"/);
      // Step 1 shows 3 replicas; step 2 scales to 9 and the events show it healed; the rollback
      // brings back 2.
      expect([deployments(first.steps)[0], deployments(first.steps).at(-1)]).toEqual([
        '3/3',
        '2/2',
      ]);
      expect(first.steps).toMatch(/Scaled up replica set guestbook-ui-\S+ from 3 to 9/);
      expect(first.steps).toMatch(/Scaled down replica set guestbook-ui-\S+ from 9 to 3/);
      // Step 4: the hello app really serves on the real node's NodePort, and exports metrics
      // (two replicas: the one asked for /metrics may not be the one that answered /).
      expect(first.steps).toContain('"version":"v1"');
      expect(first.steps).toMatch(/^http_requests_total\{code="200",path="\/"\} \d+$/m);
      expect(first.demo.stdout()).toContain(`dev-cluster down --name ${name}`);
      expect(first.demo.stdout()).toContain(`The dev cluster "${name}" keeps running`);

      const kube = await Kube.connect(clusterPaths(name).kubeconfig);
      try {
        const apps = await kube.list<Application>('sluice.dev/v1alpha1', 'Application', {
          namespace: 'sluice-system',
        });
        expect(apps.items.map((a) => a.metadata.name).sort()).toEqual([
          'canary',
          'ci',
          'guestbook',
          'hello',
          'podinfo-dev',
          'podinfo-prod',
          'shop',
        ]);
        const shop = apps.items.find((a) => a.metadata.name === 'shop');
        expect(shop?.status?.operationState?.syncResult?.resources[0]).toMatchObject({
          kind: 'Job',
          hook: 'PreSync',
          hookPhase: 'Succeeded',
        });
      } finally {
        await kube.close();
      }

      // Second run: same repository (3 replicas committed), guestbook paused by the rollback.
      const second = await runOnce(name, repo, dir);
      expect(second.demo.stderr()).toContain('all 7 Applications are Synced and Healthy');
      await expectWalkthrough(name, second.demo, ['v3', 'v4', 'v5']);
      const ci2 = await expectCiRun(name, second.demo);
      // A new run of the same sources: a new name, the same digest.
      expect([ci2.run === ci.run, ci2.digest]).toEqual([false, ci.digest]);
      expectCiSteps(second.steps, ci2);
      // The second run continues the loop: a new commit, a new image, through to prod again.
      expect(await expectLoop(name, second.demo)).not.toBe(shipped);
      expect([deployments(second.steps)[0], deployments(second.steps).at(-1)]).toEqual([
        '4/4',
        '3/3',
      ]);
      expect(second.steps).toMatch(/from 9 to 4/);
    } finally {
      await execFile(process.execPath, ['bin/sluice.js', 'dev-cluster', 'down', '--name', name]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 2_400_000);
});
