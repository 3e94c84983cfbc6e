/**
 * The progressive-delivery benchmark: N canary Rollouts routed through Gateway API HTTPRoutes on
 * kwok nodes of a fresh dev cluster, `sluice controller` in its own process (as in production).
 *
 *   npm run bench:rollouts -- --rollouts 1000 [--aborts 100] [--step-sample 100] [--rate 10]
 *                             [--node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *                             [--node-args "--trace-gc"] [--dump DIR] [--keep]
 *
 * Measures, in one run:
 *   cold          create N Rollouts -> all Healthy (ReplicaSets made, pods Ready on kwok)
 *   steady state  one full resync pass over N Healthy Rollouts: the controller's API requests
 *                 (target 0), and where they go (the API server's own counts, by resource)
 *   step advance  `--step-sample` rollouts updated, `--rate` a second: pause expiry (its
 *                 startTime + 1 s) -> the next weight in the HTTPRoute, seen by a watch (p99 < 200 ms)
 *   abort         `--aborts` rollouts paused at 20 % with a background `web` analysis against an
 *                 exporter in this process, made to fail `--rate` a second: the first bad answer
 *                 served -> HTTPRoute at 0 % canary (p99 < 1 s); also from the measurement's finishedAt
 *   rss           the controller's peak resident memory
 * It adds a row to docs/benchmarks.md ("Issue 10 — rollouts"); its last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnalysisRun } from '../src/api/analysis.ts';
import { API_VERSION } from '../src/api/application.ts';
import { installCrds } from '../src/api/install.ts';
import type { Rollout } from '../src/api/rollout.ts';
import { down, up } from '../src/devcluster/cluster.ts';
import { freePort } from '../src/devcluster/net.ts';
import { Kube } from '../src/kube/api.ts';
import { Informer } from '../src/kube/informer.ts';
import type { HTTPRoute } from '../src/rollouts/traffic/gatewayapi.ts';
import { consoleProgress } from '../src/util/progress.ts';
import { mapLimit } from '../src/util/semaphore.ts';
import { addRow, codeVersion } from './rollouts-doc.ts';
import { abortLatency, stepAdvance, steadyPass, waitUntil, type World } from './rollouts-phases.ts';
import * as fx from './rollouts-fixtures.ts';
import * as ob from './rollouts-observe.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const N = Number(arg('rollouts', '1000'));
const ABORTS = Number(arg('aborts', String(Math.min(100, Math.max(5, Math.floor(N / 10))))));
const STEP_SAMPLE = Number(arg('step-sample', String(Math.min(100, N - ABORTS))));
/** Rollouts updated (and exporters failed) per second. */
const RATE = Number(arg('rate', '10'));
const NODE_OPTIONS = arg('node-options', '');
/**
 * V8 flags NODE_OPTIONS refuses (`--trace-gc`), put on the controller's command line. Sluice's
 * own heap flags are added when absent: without them `bin/sluice.js` re-executes itself and
 * would drop these.
 */
const NODE_ARGS = arg('node-args', '').split(/\s+/).filter(Boolean);
if (NODE_ARGS.length > 0 && !NODE_ARGS.some((a) => a.startsWith('--max-old-space-size')))
  NODE_ARGS.push('--max-old-space-size=192', '--max-semi-space-size=8');
const FLAGS = [NODE_OPTIONS, NODE_ARGS.join(' ')].filter(Boolean).join(' ');
const CLUSTER = 'bench-rollouts';
const CTRL_NS = 'sluice-system';
const progress = consoleProgress();
/** `--dump DIR`: raw samples as JSON files, for looking closer. */
const DUMP = arg('dump', '');
function dump(name: string, data: unknown): void {
  if (DUMP) writeFileSync(`${DUMP}/${name}.json`, JSON.stringify(data, null, 1));
}

function startController(kubeconfig: string, port: number) {
  return spawn(
    process.execPath,
    [
      ...NODE_ARGS,
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
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) },
    },
  );
}

async function setup(kube: Kube, all: readonly fx.Target[], exporter: ob.Exporter) {
  await installCrds(kube, progress);
  const namespaces = [CTRL_NS, ...Array.from({ length: fx.NAMESPACES }, (_, i) => `bench-ro-${i}`)];
  for (const name of namespaces)
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { fieldManager: 'bench' },
    );
  for (const ns of namespaces.slice(1)) await kube.create(fx.analysisTemplate(ns, exporter.url));
  progress.step(`creating ${all.length * 3} Services and HTTPRoutes`);
  await mapLimit(all.flatMap(fx.routing), 64, (o) => kube.create(o));
}

async function main(): Promise<void> {
  const started = new Date();
  // Other work on the machine changes every figure: the row says how busy it was.
  const load0 = loadavg()[0]?.toFixed(1);
  const all = fx.targets(N, ABORTS);
  progress.step(
    `Rollouts benchmark: ${N} canary Rollouts (Gateway API), ${STEP_SAMPLE} stepped, ${ABORTS} aborted, ${RATE}/s`,
  );
  await down(CLUSTER);
  const nodes = Math.ceil((N * 1.5) / 250) + 1;
  const { state } = await up({ name: CLUSTER, nodes, realNodes: 0, progress });
  const kube = await Kube.connect(state.kubeconfig, { maxInFlight: 128, connections: 64 });
  const exporter = await ob.Exporter.start();
  let controller: ReturnType<typeof spawn> | undefined;
  const informers: Array<{ stop(): void }> = [];
  try {
    await setup(kube, all, exporter);
    progress.step('starting the controller');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    controller = startController(state.kubeconfig, port);
    // For lining up the controller's own clock (`--trace-gc` prints ms since it started).
    dump('controller', { spawnedAt: Date.now() });
    const pid = controller.pid ?? 0;
    const ctl = controller;
    while (
      !(await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (ctl.exitCode !== null)
        throw new Error(`the controller exited (${ctl.exitCode}) before it served /healthz`);
      await sleep(100);
    }
    const rollouts = new Informer<Rollout>(kube, { apiVersion: API_VERSION, kind: 'Rollout' });
    const routeInf = new Informer<HTTPRoute>(kube, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
    });
    const runInf = new Informer<AnalysisRun>(kube, {
      apiVersion: API_VERSION,
      kind: 'AnalysisRun',
    });
    informers.push(rollouts, routeInf, runInf);
    const w: World = {
      rate: RATE,
      dump,
      kube,
      url,
      pid,
      kubeconfig: state.kubeconfig,
      serverCpu: async () => {
        const pids = state.components
          .filter((c) => c.name === 'kube-apiserver' || c.name === 'etcd')
          .map((c) => c.pid);
        return (await Promise.all(pids.map(ob.cpuSeconds))).reduce((a, b) => a + b, 0);
      },
      rollouts,
      routes: ob.watchRoutes(routeInf),
      status: ob.watchRollouts(rollouts),
      runFailed: ob.watchRuns(runInf),
      exporter,
      all,
    };
    await Promise.all([rollouts.start(), routeInf.start(), runInf.start()]);

    progress.step(`cold: creating ${N} Rollouts`);
    const cpu0 = await ob.cpuSeconds(pid);
    const t0 = Date.now();
    await mapLimit(all, 32, (t) => kube.create(fx.rollout(t)));
    const healthy = () =>
      rollouts.list().filter((r) => r.status?.phase === 'Healthy' && r.status.stableRS).length;
    await waitUntil('Healthy', healthy, N, 900_000);
    const coldS = (Date.now() - t0) / 1000;
    const coldCpu = (await ob.cpuSeconds(pid)) - cpu0;
    const coldReq = ob.delta(
      { counts: new Map(), rolloutReconciles: 0, rolloutReconcileSeconds: 0 },
      await ob.scrape(url),
    );
    progress.detail(
      `all ${N} Healthy in ${coldS.toFixed(1)} s; controller CPU ${coldCpu.toFixed(1)} s, requests ${JSON.stringify(coldReq)}`,
    );

    progress.step('steady state: one resync pass over Healthy rollouts');
    const noop = await steadyPass(w);

    progress.step(
      `step advance: ${STEP_SAMPLE} rollouts through 1 s pauses, ${RATE} started a second`,
    );
    const step = await stepAdvance(w, all.filter((t) => t.kind === 'step').slice(0, STEP_SAMPLE));

    progress.step(
      `abort: ${ABORTS} rollouts with a background analysis made to fail, ${RATE} a second`,
    );
    const abort = await abortLatency(
      w,
      all.filter((t) => t.kind === 'abort'),
    );

    const rss = await ob.rssMb(pid);
    const result = {
      rollouts: N,
      noop_requests: noop.requests,
      step_p99_ms: ob.pct(step.route, 99),
      abort_p50_ms: ob.pct(abort.served, 50),
      abort_p99_ms: ob.pct(abort.served, 99),
      rss_mb: rss.peak,
    };
    const row = `| ${started.toISOString().slice(0, 16).replace('T', ' ')} | ${await codeVersion()} | ${N} | ${cpus().length} CPU, load ${load0} -> ${loadavg()[0]?.toFixed(1)} | ${coldS.toFixed(1)} s | ${noop.requests} / ${noop.cpu.toFixed(2)} s | ${ob.pct(step.route, 50)} / ${ob.pct(step.route, 99)} ms (${step.route.length}) | ${ob.pct(abort.served, 50)} / ${ob.pct(abort.served, 99)} ms (${abort.served.length}) | ${ob.pct(abort.measured, 50)} / ${ob.pct(abort.measured, 99)} ms | ${rss.peak} MB | ${FLAGS || 'defaults'} |`;
    await addRow('docs/benchmarks.md', row);
    console.log(row);
    console.log(JSON.stringify(result));
  } finally {
    for (const i of informers) i.stop();
    if (controller && controller.exitCode === null) {
      controller.kill('SIGTERM');
      await Promise.race([once(controller, 'exit'), sleep(30_000)]);
    }
    await exporter.stop();
    await kube.close();
    if (!process.argv.includes('--keep')) await down(CLUSTER);
  }
}

await main();
