/**
 * The CI pipelines benchmark, on a fresh dev cluster with its real node (steps really run, the
 * image cached after a warm-up run); `sluice controller` in its own process with
 * `--max-concurrent-runs 10`, as in production.
 *
 *   npm run bench:pipelines -- [--runs 200] [--chain-runs 5] [--chain-length 11] [--dag-runs 3]
 *                              [--node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--keep]
 *                              [--tekton DIR [--tekton-rev REV] [--tekton-flags k=v,...]]
 *
 * Measures (pipelines-phases.ts): per-task overhead over chained single-step `true` tasks
 * (TaskRun created -> first step running; task finished -> next pod created; the whole gap
 * between two tasks' steps), a 5-task DAG end to end, and `--runs` one-step PipelineRuns
 * created at once under the limit (all Succeeded, none lost or run twice, never more than 10
 * running; total time; controller RSS). With `--tekton DIR`, Tekton's controller is then
 * measured the same way on the same cluster (pipelines-tekton-run.ts; `--tekton-flags` adds a
 * second pass with those feature flags). Waits while another benchmark runs
 * (`pgrep -af bench/`); adds its rows to docs/benchmarks.md ("Issue 11 — pipelines"); its last
 * line is one JSON object (Sluice's figures).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { installCrds } from '../src/api/install.ts';
import { down, up } from '../src/devcluster/cluster.ts';
import { freePort } from '../src/devcluster/net.ts';
import { nodePaths } from '../src/devcluster/node/config.ts';
import { clusterPaths } from '../src/devcluster/paths.ts';
import { Kube } from '../src/kube/api.ts';
import { execFile } from '../src/util/exec.ts';
import { consoleProgress } from '../src/util/progress.ts';
import { addRows, row } from './pipelines-doc.ts';
import * as fx from './pipelines-fixtures.ts';
import { figures, load1, timings, warmUp, type Sizes } from './pipelines-measure.ts';
import {
  ContainerdEvents,
  cpuSeconds,
  histogram,
  minus,
  requestsByVerb,
  rssMb,
  Watches,
} from './pipelines-observe.ts';
import { queuePhase, type World } from './pipelines-phases.ts';
import { buildTekton } from './pipelines-tekton.ts';
import { tektonRows } from './pipelines-tekton-run.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const RUNS = Number(arg('runs', '200'));
const CHAIN_RUNS = Number(arg('chain-runs', '5'));
const CHAIN_LENGTH = Number(arg('chain-length', '11'));
const DAG_RUNS = Number(arg('dag-runs', '3'));
const SIZES: Sizes = { chainRuns: CHAIN_RUNS, chainLength: CHAIN_LENGTH, dagRuns: DAG_RUNS };
const NODE_OPTIONS = arg('node-options', '');
/** A checkout of tektoncd/pipeline: its controller is built and measured the same way. */
const TEKTON_SRC = arg('tekton', '');
/** What the Tekton row names: DIR's git commit, or this (a checkout without .git). */
const TEKTON_REV = arg('tekton-rev', '');
/** `k=v,...`: a second Tekton pass with these keys set in its feature-flags ConfigMap. */
const TEKTON_FLAGS = arg('tekton-flags', '');
const LIMIT = 10;
const CLUSTER = 'bench-pipelines';
const CTRL_NS = 'sluice-system';
const NS = 'bench-pl';
const progress = consoleProgress();

/** Waits while another benchmark runs: the machine has 2 cores for everyone. */
async function waitForQuiet(): Promise<void> {
  const mine = new Set([process.pid, process.ppid]);
  for (;;) {
    const r = await execFile('pgrep', ['-af', 'bench/']);
    // `node bench/x.ts`, not a path that merely contains "bench/" (this worktree's name may).
    const others = r.stdout
      .split('\n')
      .filter((l) => /(^|[^\w-])bench\/[\w-]+\.ts/.test(l) && !mine.has(Number(l.split(' ')[0])));
    if (others.length === 0) return;
    progress.detail(`another benchmark runs (${others[0]}); waiting 60 s`);
    await sleep(60_000);
  }
}

function startController(kubeconfig: string, port: number, work: string) {
  return spawn(
    process.execPath,
    [
      'bin/sluice.js',
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      CTRL_NS,
      '--app-namespace',
      CTRL_NS,
      '--listen',
      `127.0.0.1:${port}`,
      '--poll-interval',
      '1h',
      '--log-level',
      'warn',
      '--max-concurrent-runs',
      String(LIMIT),
      '--database-url',
      join(work, 'runs.db'),
      '--pipeline-helper-image',
      fx.BUSYBOX,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        SLUICE_WORK_DIR: join(work, 'controller'),
        ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}),
      },
    },
  );
}

async function main(): Promise<void> {
  await waitForQuiet();
  // Built before the cluster starts: compiling must not share the CPU with the measurements.
  const tektonBin = TEKTON_SRC ? await buildTekton(TEKTON_SRC, progress) : undefined;
  const started = new Date();
  const load: Record<string, number> = { start: load1() };
  progress.step(
    `Pipelines benchmark: ${CHAIN_RUNS} x ${CHAIN_LENGTH} chained tasks, ${DAG_RUNS} 5-task DAGs and one-task runs, ${RUNS} runs queued at limit ${LIMIT}`,
  );
  await down(CLUSTER);
  const { state } = await up({ name: CLUSTER, nodes: 1, realNodes: 1, progress });
  const kube = await Kube.connect(state.kubeconfig, { maxInFlight: 64, connections: 32 });
  const work = await mkdtemp(join(tmpdir(), 'sluice-bench-pl-'));
  const containerdProc = state.components.find((c) => c.name === 'containerd');
  if (!containerdProc) throw new Error('the dev cluster has no real node (containerd)');
  const containerd = new ContainerdEvents(
    join(dirname(containerdProc.binary), 'ctr'),
    nodePaths(clusterPaths(CLUSTER).dir, CLUSTER).containerdSocket,
    containerdProc.pid,
  );
  const watches = new Watches(kube, NS);
  let controller: ReturnType<typeof spawn> | undefined;
  try {
    await installCrds(kube, progress);
    for (const name of [CTRL_NS, NS])
      await kube.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { fieldManager: 'bench' },
      );
    containerd.start();
    await watches.start();
    progress.step('starting the controller');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    controller = startController(state.kubeconfig, port, work);
    const pid = controller.pid ?? 0;
    while (
      !(await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await sleep(100);
    const w: World = { kube, namespace: NS, apiVersion: fx.API, watches, containerd, progress };

    progress.step('warm-up: the image pulled on the real node, the controller warmed');
    await warmUp(w);
    if (!containerd.working)
      progress.detail('no containerd events: step times come from pod status (1 s relist lag)');
    const cpu0 = await cpuSeconds(pid);
    const t = await timings(w, SIZES, load, 'Sluice');
    progress.detail(`controller CPU ${((await cpuSeconds(pid)) - cpu0).toFixed(1)} s`);

    load['queue'] = load1();
    progress.step(`queue: ${RUNS} one-step PipelineRuns at once, limit ${LIMIT}`);
    const cpu1 = await cpuSeconds(pid);
    const req0 = requestsByVerb(await (await fetch(`${url}/metrics`)).text());
    const q = await queuePhase(w, RUNS, Math.max(600_000, RUNS * 6_000));
    const queueCpu = (await cpuSeconds(pid)) - cpu1;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const requests = minus(requestsByVerb(metrics), req0);
    progress.detail(
      `${q.succeeded} Succeeded, ${q.failed} failed, ${q.lost} lost, ${q.duplicated.length} run twice${q.duplicated.length ? ` (${q.duplicated.slice(0, 5).join(', ')})` : ''}; most running at once ${q.maxRunning} (TaskRuns not ended: ${q.maxActiveTaskRuns}; pods not ended, sampled: ${q.maxActivePods}); all done in ${q.totalS.toFixed(1)} s; queue wait p50 ${q.waitP50S.toFixed(1)} s, max ${q.waitMaxS.toFixed(1)} s; controller CPU ${queueCpu.toFixed(1)} s, API requests ${JSON.stringify(requests)}`,
    );
    const queued = histogram(metrics, 'sluice_pipelinerun_queue_seconds');
    const rss = await rssMb(pid);
    progress.detail(
      `controller RSS peak ${rss.peak} MB (now ${rss.now} MB); /metrics: ${queued.count} runs started, mean queue wait ${(queued.sum / Math.max(1, queued.count)).toFixed(1)} s`,
    );
    load['end'] = load1();
    controller.kill('SIGTERM');
    await Promise.race([once(controller, 'exit'), sleep(30_000)]);

    const result = {
      ...figures(t),
      queued_runs: q.created,
      succeeded_runs: q.succeeded,
      lost_runs: q.created - q.succeeded,
      duplicate_runs: q.duplicated.length,
      max_running: Math.max(q.maxRunning, q.maxActiveTaskRuns),
      queue_total_s: +q.totalS.toFixed(1),
      rss_mb: rss.peak,
    };
    const lines = [
      row({
        who: 'Sluice',
        started,
        cpus: cpus().length,
        load,
        result,
        parts: t.parts,
        nodeOptions: NODE_OPTIONS,
      }),
    ];
    if (tektonBin)
      lines.push(
        ...(await tektonRows({
          kube,
          kubeconfig: state.kubeconfig,
          registry: state.registry ?? '',
          containerd,
          progress,
          sizes: SIZES,
          src: TEKTON_SRC,
          bin: tektonBin,
          rev: TEKTON_REV,
          flags: TEKTON_FLAGS,
          cluster: CLUSTER,
          started,
          quiet: Math.max(2, (load['chain'] ?? 0) + 1),
        })),
      );
    for (const l of lines) console.log(l);
    await addRows('docs/benchmarks.md', lines);
    // The issue's figures, in its order (the rows above have the rest).
    console.log(
      JSON.stringify({
        task_overhead_p50_ms: result.task_overhead_p50_ms,
        task_overhead_p99_ms: result.task_overhead_p99_ms,
        dag5_s: result.dag5_s,
        queued_runs: result.queued_runs,
        lost_runs: result.lost_runs,
        rss_mb: result.rss_mb,
      }),
    );
  } finally {
    if (controller && controller.exitCode === null) {
      controller.kill('SIGTERM');
      await Promise.race([once(controller, 'exit'), sleep(30_000)]);
    }
    containerd.stop();
    watches.stop();
    await kube.close();
    if (!process.argv.includes('--keep')) await down(CLUSTER);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
