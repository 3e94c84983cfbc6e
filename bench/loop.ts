/**
 * The loop's benchmark (issue 12, item 8): a commit pushed → the new image Running in dev, on a
 * fresh dev cluster with its real node, through `sluice controller` as its own process, the loop
 * of src/demo/loop-samples.ts set up by the rig of src/demo/loop.ts (the same as the demo and the
 * e2e test). One warm-up commit, then `--commits` (default 5) measured one after another.
 *
 *   npm run bench:loop -- [--commits 5] [--keep]
 *
 * Each commit's timeline is observed from here, polling every 100 ms (the API's own timestamps
 * have 1 s resolution): pushed → PipelineRun exists (trigger) → clone done → build done (split
 * into build and push by the task's BUILD_SECONDS / PUSH_SECONDS; the rest of the task is its
 * pod's start) → scan done → set-image's commit in the deploy repository (commit) → dev Synced
 * on it (sync) → dev Healthy with the new pod Ready (rollout). `test` runs beside build and is
 * reported, off the critical path. Prints a table of medians; the last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Application } from '../src/api/application.ts';
import { installCrds } from '../src/api/install.ts';
import type { PipelineRun, TaskRun } from '../src/api/pipeline.ts';
import type { Trigger } from '../src/api/trigger.ts';
import { startLoopRig, type LoopRig } from '../src/demo/loop.ts';
import { LOOP_TRIGGER, appName } from '../src/demo/loop-samples.ts';
import { down, up } from '../src/devcluster/cluster.ts';
import { freePort } from '../src/devcluster/net.ts';
import { Kube } from '../src/kube/api.ts';
import { consoleProgress } from '../src/util/progress.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const COMMITS = Number(arg('commits', '5'));
const KEEP = process.argv.includes('--keep');
const API = 'sluice.dev/v1alpha1';
const NS = 'bench-loop';
const STAGES = ['trigger', 'clone', 'build', 'push', 'scan', 'commit', 'sync', 'rollout'] as const;
type Stage = (typeof STAGES)[number];

interface Sample {
  total: number;
  stages: Record<Stage, number>;
  test: number;
}

const succeeded = (o: { status?: { conditions?: Array<{ type: string; status: string }> } }) =>
  o.status?.conditions?.find((c) => c.type === 'Succeeded')?.status === 'True';

/** Polls `check` every 100 ms until it returns a value; the time it first did. */
async function when<T>(what: string, check: () => Promise<T | undefined>, ms = 300_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return { at: Date.now(), value: v };
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function measure(k: Kube, rig: LoopRig, n: number): Promise<Sample> {
  const runs = async () =>
    (
      await k.list<PipelineRun>(API, 'PipelineRun', {
        namespace: NS,
        labelSelector: `sluice.dev/trigger=${LOOP_TRIGGER}`,
      })
    ).items;
  const before = new Set((await runs()).map((r) => r.metadata.name));
  const pushed = Date.now();
  const sha = await rig.push({ 'README.md': `# web\n\nchange ${n} at ${pushed}\n` }, `change ${n}`);
  const pushedAt = Date.now();
  const run = await when('the run', async () =>
    (await runs()).find(
      (r) => !before.has(r.metadata.name) && r.metadata.labels?.['sluice.dev/commit'] === sha,
    ),
  );
  const name = run.value.metadata.name ?? '';
  const tasks = async () =>
    Object.fromEntries(
      (
        await k.list<TaskRun>(API, 'TaskRun', {
          namespace: NS,
          labelSelector: `tekton.dev/pipelineRun=${name}`,
        })
      ).items.map((t) => [t.metadata.labels?.['tekton.dev/pipelineTask'] ?? '', t]),
    );
  const done = (task: string) =>
    when(`${task} of ${name}`, async () => {
      const t = (await tasks())[task];
      return t && succeeded(t) ? t : undefined;
    });
  const clone = await done('clone');
  const [test, build] = await Promise.all([done('test'), done('build')]);
  const scan = await done('scan');
  // set-image's commit names the source commit (a promotion's may land meanwhile).
  const commit = await when('the deploy commit', async () => {
    const c = await rig.deployGit('log', '-1', '--format=%H', `--grep=${sha}`, 'main');
    return c !== '' ? c : undefined;
  });
  const app = () => k.get<Application>(API, 'Application', NS, appName('dev'));
  const contains = async (rev: string | undefined) =>
    rev !== undefined &&
    (rev === commit.value ||
      (await rig
        .deployGit('merge-base', '--is-ancestor', commit.value, rev)
        .then(() => true)
        .catch(() => false)));
  const synced = await when('dev Synced', async () => {
    const a = await app();
    return a?.status?.sync?.status === 'Synced' && (await contains(a.status.sync.revision))
      ? a
      : undefined;
  });
  const running = await when('dev Healthy on the new image', async () => {
    const a = await app();
    return a?.status?.health?.status === 'Healthy' &&
      (a.status.summary?.images ?? []).some((i) => i.includes(sha))
      ? a
      : undefined;
  });
  // Before the next commit: staging has this one (the Promotion's commit after the soak), so
  // no write of the previous commit lands in the next one's timeline.
  await when('staging promoted', async () => {
    const log = await rig.deployGit('log', '-1', '--format=%s', 'main');
    return log.startsWith('promote ') ? true : undefined;
  });
  const result = (t: TaskRun, r: string) =>
    Number(t.status?.results?.find((x) => x.name === r)?.value ?? 0);
  const buildTask = (build.at - clone.at) / 1000;
  const pushS = result(build.value, 'PUSH_SECONDS');
  const s = (a: number, b: number) => (b - a) / 1000;
  return {
    total: s(pushedAt, running.at),
    test: s(clone.at, test.at),
    stages: {
      trigger: s(pushedAt, run.at),
      clone: s(run.at, clone.at),
      // Build's task: its pod's start, buildah bud, the pushes (the pushes measured inside).
      build: buildTask - pushS,
      push: pushS,
      scan: s(build.at, scan.at),
      commit: s(scan.at, commit.at),
      sync: s(commit.at, synced.at),
      rollout: s(synced.at, running.at),
    },
  };
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? (v[m] ?? 0) : ((v[m - 1] ?? 0) + (v[m] ?? 0)) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const progress = consoleProgress();
  const name = `bench-loop-${process.pid}`;
  const { state } = await up({ name, nodes: 1, realNodes: 1, progress });
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-loop-'));
  const k = await Kube.connect(state.kubeconfig);
  let stopController = async (): Promise<void> => {};
  let rig: LoopRig | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await stopController();
      await rig?.stop();
      await k.close();
      await rm(dir, { recursive: true, force: true });
      if (!KEEP) await down(name);
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void cleanup().finally(() => process.exit(130)));
  try {
    const node = state.realNode?.network;
    if (!node || !state.registry) throw new Error('the bench needs a real node');
    await installCrds(k, progress);
    await k.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    rig = await startLoopRig({
      kube: k,
      namespace: NS,
      dir,
      registry: state.registry,
      hostIp: node.hostIp,
      nodeIp: node.nodeIp,
      progress,
    });
    const port = await freePort();
    const c = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'controller',
        '--kubeconfig',
        state.kubeconfig,
        '--namespace',
        NS,
        '--app-namespace',
        NS,
        '--no-image-automation',
        '--database-url',
        join(dir, 'runs.db'),
        '--work-dir',
        join(dir, 'controller'),
        '--poll-interval',
        '1s',
        '--listen',
        `127.0.0.1:${port}`,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    stopController = async () => {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    };
    progress.step('waiting for dev to run the sample app');
    await when('dev Healthy', async () => {
      const a = await k.get<Application>(API, 'Application', NS, appName('dev'));
      return a?.status?.health?.status === 'Healthy' ? true : undefined;
    });
    await when('the Trigger baseline', async () => {
      const t = await k.get<Trigger>(API, 'Trigger', NS, LOOP_TRIGGER);
      return (t?.status?.refs ?? []).length > 0 ? true : undefined;
    });
    progress.step('warm-up commit (image layers, pod start paths)');
    await measure(k, rig, 0);
    const samples: Sample[] = [];
    for (let i = 1; i <= COMMITS; i++) {
      const m = await measure(k, rig, i);
      samples.push(m);
      progress.detail(
        `commit ${i}: ${m.total.toFixed(1)} s (${STAGES.map((s) => `${s} ${m.stages[s].toFixed(1)}`).join(', ')}; test ${m.test.toFixed(1)} beside build)`,
      );
    }
    const stages = Object.fromEntries(
      STAGES.map((s) => [s, r2(median(samples.map((m) => m.stages[s])))]),
    ) as Record<Stage, number>;
    const p50 = r2(median(samples.map((m) => m.total)));
    const top = STAGES.reduce((a, b) => (stages[a] >= stages[b] ? a : b));
    console.log(
      `\ncommit pushed → new image Running in dev, ${COMMITS} commits, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`,
    );
    console.log('| stage | p50 (s) |\n|---|---|');
    for (const s of STAGES) console.log(`| ${s} | ${stages[s].toFixed(2)} |`);
    console.log(`| (test, beside build) | ${r2(median(samples.map((m) => m.test))).toFixed(2)} |`);
    console.log(`| **commit → running** | **${p50.toFixed(2)}** |`);
    console.log(`largest stage: ${top}`);
    console.log(JSON.stringify({ commit_to_running_p50_s: p50, stages_s: stages }));
  } finally {
    await cleanup();
  }
}

await main();
