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
 * running; total time; controller RSS). Waits while another benchmark runs (`pgrep -af bench/`);
 * adds a row to docs/benchmarks.md ("Issue 11 — pipelines"); its last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
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
import {
  buildTekton,
  installTekton,
  parseFlags,
  pushEntrypoint,
  setFeatureFlags,
  startTektonController,
  TEKTON_API,
} from './pipelines-tekton.ts';
import {
  ContainerdEvents,
  cpuSeconds,
  histogram,
  minus,
  requestsByVerb,
  median,
  pct,
  rssMb,
  TEKTON,
  Watches,
} from './pipelines-observe.ts';
import {
  chainPhase,
  clean,
  endToEnd,
  queuePhase,
  waitEnded,
  type World,
} from './pipelines-phases.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const RUNS = Number(arg('runs', '200'));
const CHAIN_RUNS = Number(arg('chain-runs', '5'));
const CHAIN_LENGTH = Number(arg('chain-length', '11'));
const DAG_RUNS = Number(arg('dag-runs', '3'));
const NODE_OPTIONS = arg('node-options', '');
/** A checkout of tektoncd/pipeline: its controller is built and measured the same way. */
const TEKTON_SRC = arg('tekton', '');
/** What the Tekton row names: DIR's git commit, or this (a checkout without .git). */
const TEKTON_REV = arg('tekton-rev', '');
/** `k=v,...`: a second Tekton pass with these keys set in its feature-flags ConfigMap. */
const TEKTON_FLAGS = arg('tekton-flags', '');
const TEKTON_NS = 'bench-tk';
const LIMIT = 10;
const CLUSTER = 'bench-pipelines';
const CTRL_NS = 'sluice-system';
const NS = 'bench-pl';
const progress = consoleProgress();
const load1 = (): number => +(loadavg()[0] ?? 0).toFixed(1);

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

interface Timings {
  /** The gap between chained tasks' steps; (a) TaskRun created -> step; (b) hand-off. */
  gap: number[];
  start: number[];
  handoff: number[];
  parts: Record<string, number>;
  dag: number[];
  one: number[];
}

const ms = (x: number): number => Math.round(x);

/** Chained tasks, the 5-task DAG and one-task runs against whichever controller runs. */
async function timings(w: World, load: Record<string, number>, who: string): Promise<Timings> {
  load['chain'] = load1();
  progress.step(`${who}: per-task overhead, ${CHAIN_RUNS} runs of ${CHAIN_LENGTH} chained tasks`);
  const chain = await chainPhase(w, CHAIN_RUNS, CHAIN_LENGTH);
  const [start, gap, handoff] = [clean(chain.start), clean(chain.gap), clean(chain.handoff)];
  progress.detail(
    `(a) TaskRun created -> step running: p50 ${ms(median(start))} ms, p99 ${ms(pct(start, 99))} ms (${start.length} tasks; as pod status shows it: p50 ${ms(median(clean(chain.startSeen)))} ms)`,
  );
  progress.detail(
    `(b) task finished -> next pod created: p50 ${ms(median(handoff))} ms, p99 ${ms(pct(handoff, 99))} ms (${handoff.length} hand-offs)`,
  );
  progress.detail(
    `gap step exit -> next step start: p50 ${ms(median(gap))} ms, p99 ${ms(pct(gap, 99))} ms; where it goes (medians): ${JSON.stringify(chain.parts)}`,
  );
  load['dag5'] = load1();
  progress.step(`${who}: a 5-task DAG and a one-task Pipeline end to end, ${DAG_RUNS} runs each`);
  const dag = await endToEnd(w, 'dag5', fx.dag5(), DAG_RUNS);
  progress.detail(`5-task DAG: median ${(median(dag) / 1000).toFixed(2)} s`);
  // Tekton's maintainers publish this one (tektoncd/pipeline#10152): a warm one-step run.
  const one = await endToEnd(w, 'one', fx.single(), DAG_RUNS);
  progress.detail(`one-task PipelineRun: median ${(median(one) / 1000).toFixed(2)} s`);
  return { gap, start, handoff, parts: chain.parts, dag, one };
}

/** Warm-up runs: the image pulled on the real node, the controller's first reconciles done. */
async function warmUp(w: World): Promise<void> {
  const runs = ['warm-0', 'warm-1'];
  await w.kube.create(fx.pipelineRun('warm-0', w.namespace, fx.single(), w.apiVersion));
  await waitEnded(w, ['warm-0'], 300_000);
  await w.kube.create(fx.pipelineRun('warm-1', w.namespace, fx.chain(3), w.apiVersion));
  await waitEnded(w, runs, 300_000);
  for (const n of runs) {
    const r = w.watches.runs.get(w.namespace, n);
    if (fx.outcome(r) !== 'True')
      throw new Error(`warm-up run ${n} did not succeed: ${JSON.stringify(r?.status)}`);
  }
}

function figures(t: Timings) {
  return {
    task_overhead_p50_ms: ms(median(t.gap)),
    task_overhead_p99_ms: ms(pct(t.gap, 99)),
    task_start_p50_ms: ms(median(t.start)),
    task_start_p99_ms: ms(pct(t.start, 99)),
    handoff_p50_ms: ms(median(t.handoff)),
    handoff_p99_ms: ms(pct(t.handoff, 99)),
    dag5_s: +(median(t.dag) / 1000).toFixed(2),
    one_task_s: +(median(t.one) / 1000).toFixed(2),
  };
}

type TektonFigures = ReturnType<typeof figures> & {
  load: Record<string, number>;
  parts: Record<string, number>;
};

/**
 * One pass of Tekton's controller in place of Sluice's, same cluster, its own namespace: the
 * same warm-up, chain, DAG and runs. The namespace is deleted afterwards (Tekton keeps every
 * finished pod; the next pass starts with a node as clean as the first).
 */
async function tektonPass(
  kube: Kube,
  kubeconfig: string,
  containerd: ContainerdEvents,
  bin: string,
  image: string,
  flags: Record<string, string>,
  namespace: string,
): Promise<TektonFigures> {
  await setFeatureFlags(kube, flags);
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  await kube.apply(ns, { fieldManager: 'bench' });
  const watches = new Watches(kube, namespace, TEKTON);
  await watches.start();
  // Outside the work dir (removed at the end): read it after a failed run.
  const log = join(tmpdir(), `${CLUSTER}-${namespace}-controller.log`);
  progress.detail(`Tekton's controller logs to ${log}`);
  const child = await startTektonController(bin, kubeconfig, image, log);
  const stopped = () => progress.detail(`Tekton's controller exited early; see ${log}`);
  child.once('exit', stopped);
  const load: Record<string, number> = { start: load1() };
  try {
    const w: World = { kube, namespace, apiVersion: TEKTON_API, watches, containerd, progress };
    await warmUp(w);
    const t = await timings(w, load, 'Tekton');
    load['end'] = load1();
    return { ...figures(t), load, parts: t.parts };
  } finally {
    child.off('exit', stopped);
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(10_000)]);
    watches.stop();
    await kube.delete(ns);
    const t0 = Date.now();
    while (Date.now() - t0 < 180_000 && (await kube.get('v1', 'Namespace', undefined, namespace)))
      await sleep(500);
  }
}

/**
 * Waits (3 min at most) for the 1-minute load to fall to `target`: Tekton's passes follow the
 * burst of Sluice's queue phase and must not be measured in its wake.
 */
async function coolDown(target: number): Promise<void> {
  const t0 = Date.now();
  if (load1() > target) progress.detail(`load ${load1()}: waiting for ${target} (3 min at most)`);
  while (load1() > target && Date.now() - t0 < 180_000) await sleep(5_000);
}

/** Tekton's rows: its shipped feature flags, then `--tekton-flags` when given. */
async function tekton(
  kube: Kube,
  state: { kubeconfig: string; registry?: string },
  containerd: ContainerdEvents,
  bin: string,
  started: Date,
  quiet: number,
): Promise<string[]> {
  progress.step(`Tekton's controller (built from ${TEKTON_SRC}) on the same cluster`);
  const image = await pushEntrypoint(bin, state.registry ?? '');
  await installTekton(kube, TEKTON_SRC);
  const commit =
    TEKTON_REV ||
    (await execFile('git', ['-C', TEKTON_SRC, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const passes = [{}, ...(TEKTON_FLAGS ? [parseFlags(TEKTON_FLAGS)] : [])];
  const rows: string[] = [];
  for (const [i, flags] of passes.entries()) {
    const text = Object.entries(flags)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    if (text) progress.step(`Tekton again, feature flags ${text}`);
    await coolDown(quiet);
    const tk = await tektonPass(
      kube,
      state.kubeconfig,
      containerd,
      bin,
      image,
      flags,
      `${TEKTON_NS}${i || ''}`,
    );
    const who = `Tekton ${commit || TEKTON_SRC}, ${text || 'shipped feature flags'}; same cluster, after Sluice`;
    rows.push(
      row({
        who,
        started,
        cpus: cpus().length,
        load: tk.load,
        result: tk,
        parts: tk.parts,
        nodeOptions: '',
      }),
    );
  }
  return rows;
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
    const t = await timings(w, load, 'Sluice');
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
        ...(await tekton(
          kube,
          state,
          containerd,
          tektonBin,
          started,
          Math.max(2, (load['chain'] ?? 0) + 1),
        )),
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
