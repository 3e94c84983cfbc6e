/**
 * The progressive-delivery benchmark: N canary Rollouts routed through Gateway API HTTPRoutes on
 * kwok nodes of a fresh dev cluster, `sluice controller` in its own process (as in production).
 *
 *   npm run bench:rollouts -- --rollouts 1000 [--aborts 100] [--step-sample 100] [--rate 10]
 *                             [--node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--keep]
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
import { consoleProgress, formatDuration } from '../src/util/progress.ts';
import { mapLimit } from '../src/util/semaphore.ts';
import { addRow } from './rollouts-doc.ts';
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
const CLUSTER = 'bench-rollouts';
const CTRL_NS = 'sluice-system';
const progress = consoleProgress();
const ms = (x: number): string => `${Math.round(x)} ms`;
/** `--dump DIR`: raw samples as JSON files, for looking closer. */
const DUMP = arg('dump', '');
function dump(name: string, data: unknown): void {
  if (DUMP) writeFileSync(`${DUMP}/${name}.json`, JSON.stringify(data, null, 1));
}

interface World {
  kube: Kube;
  url: string;
  pid: number;
  kubeconfig: string;
  /** CPU seconds of kube-apiserver and etcd so far. */
  serverCpu: () => Promise<number>;
  rollouts: Informer<Rollout>;
  routes: ReturnType<typeof ob.watchRoutes>;
  status: ReturnType<typeof ob.watchRollouts>;
  /** When each Rollout's AnalysisRun was seen Failed. */
  runFailed: Map<string, number>;
  exporter: ob.Exporter;
  all: fx.Target[];
}

async function waitUntil(what: string, done: () => number, total: number, limitMs: number) {
  const t0 = Date.now();
  let shown = t0;
  for (let n = done(); n < total; n = done()) {
    if (Date.now() - shown > 5000) {
      progress.detail(`${n}/${total} ${what} after ${formatDuration(Date.now() - t0)}`);
      shown = Date.now();
    }
    if (Date.now() - t0 > limitMs) throw new Error(`only ${n}/${total} ${what} in ${limitMs} ms`);
    await sleep(50);
  }
  return Date.now() - t0;
}

const ro = (w: World, t: fx.Target): Rollout | undefined => w.rollouts.get(t.namespace, t.name);

/** Updates the rollouts to a new pod template, `RATE` a second; returns when each was sent. */
async function update(w: World, sample: readonly fx.Target[]): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  for (const t of sample) {
    const at = Date.now();
    await w.kube.mergePatch(
      {
        apiVersion: API_VERSION,
        kind: 'Rollout',
        metadata: { name: t.name, namespace: t.namespace },
      },
      { spec: { template: fx.template(t.name, 'v2') } },
    );
    sent.set(fx.keyOf(t), at);
    await sleep(Math.max(0, 1000 / RATE - (Date.now() - at)));
  }
  return sent;
}

async function steadyPass(w: World) {
  await sleep(3000);
  const before = await ob.scrape(w.url);
  const server0 = await ob.apiserverRequests(w.kubeconfig);
  const cpu0 = await ob.cpuSeconds(w.pid);
  const srv0 = await w.serverCpu();
  const res = await fetch(`${w.url}/api/resync`, { method: 'POST' });
  const { queued } = (await res.json()) as { queued: number };
  for (;;) {
    const m = await ob.scrape(w.url);
    if (m.rolloutReconciles - before.rolloutReconciles >= queued) break;
    await sleep(50);
  }
  const after = await ob.scrape(w.url);
  const cpu = (await ob.cpuSeconds(w.pid)) - cpu0;
  const srv = (await w.serverCpu()) - srv0;
  const server = ob.apiserverDelta(server0, await ob.apiserverRequests(w.kubeconfig));
  const noop = ob.delta(before, after);
  const total = Object.values(noop).reduce((a, b) => a + b, 0);
  progress.detail(
    `${queued} rollouts reconciled: controller requests ${JSON.stringify(noop)} (${(total / queued).toFixed(2)} per rollout), CPU ${cpu.toFixed(2)} s; API server + etcd CPU ${srv.toFixed(2)} s`,
  );
  progress.detail(
    `API server requests in the pass (all clients): ${server.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
  );
  return { requests: total, cpu, byVerb: noop, server };
}

/** Pause expiry -> next weight, per pause of every sampled rollout (HTTPRoute and status). */
async function stepAdvance(w: World, sample: readonly fx.Target[]) {
  const old = new Map(sample.map((t) => [fx.keyOf(t), ro(w, t)?.status?.stableRS]));
  const m0 = await ob.scrape(w.url);
  const cpu0 = await ob.cpuSeconds(w.pid);
  const srv0 = await w.serverCpu();
  const sent = await update(w, sample);
  const finished = (t: fx.Target): boolean => {
    const s = ro(w, t)?.status;
    return (
      s?.phase === 'Healthy' &&
      s.stableRS === s.currentPodHash &&
      s.stableRS !== old.get(fx.keyOf(t))
    );
  };
  const took = await waitUntil(
    'promoted',
    () => sample.filter(finished).length,
    sample.length,
    600_000,
  );
  const m1 = await ob.scrape(w.url);
  const cpu = (await ob.cpuSeconds(w.pid)) - cpu0;
  const srv = (await w.serverCpu()) - srv0;
  progress.detail(
    `${ob.reconciles(m0, m1)}; requests ${JSON.stringify(ob.delta(m0, m1))}; CPU: controller ${cpu.toFixed(1)} s, API server + etcd ${srv.toFixed(1)} s`,
  );
  const route: number[] = [];
  const status: number[] = [];
  /** Pause expiry -> the reconcile that ends it plans; that plan -> the HTTPRoute written. */
  const late: number[] = [];
  const inside: number[] = [];
  let missing = 0;
  for (const t of sample) {
    const key = fx.keyOf(t);
    const since = sent.get(key) ?? 0;
    const starts = [...(w.status.pauses.get(key) ?? [])]
      .map(Date.parse)
      .filter((p) => p >= since - 1000)
      .sort((a, b) => a - b);
    for (const [k, next] of fx.AFTER_PAUSE.entries()) {
      const start = starts[k];
      const r = w.routes.firstAt(key, next, since);
      const s = w.status.weights.firstAt(key, next, since);
      if (start === undefined || r === undefined || s === undefined) {
        missing++;
        continue;
      }
      route.push(r - (start + fx.PAUSE_MS));
      status.push(s - (start + fx.PAUSE_MS));
      // The next pause's startTime is the clock of the reconcile that ended this one.
      const then = starts[k + 1];
      if (then !== undefined) {
        late.push(then - (start + fx.PAUSE_MS));
        inside.push(r - then);
      }
    }
  }
  dump('step', {
    sample: sample.map((t) => {
      const key = fx.keyOf(t);
      return {
        key,
        sent: sent.get(key),
        pauses: [...(w.status.pauses.get(key) ?? [])],
        route: w.routes.all(key),
        status: w.status.weights.all(key),
      };
    }),
  });
  progress.detail(
    `${sample.length} rollouts walked 4 weights in ${formatDuration(took)}; ${route.length} pause expiries -> next HTTPRoute weight: p50 ${ms(ob.pct(route, 50))}, p99 ${ms(ob.pct(route, 99))}, max ${ms(ob.pct(route, 100))}; -> status.canary.weights: p50 ${ms(ob.pct(status, 50))}, p99 ${ms(ob.pct(status, 99))}${missing ? `; ${missing} pauses not seen` : ''}`,
  );
  progress.detail(
    `of which expiry -> the reconcile that ends the pause: p50 ${ms(ob.pct(late, 50))}, p99 ${ms(ob.pct(late, 99))}; its plan -> HTTPRoute written: p50 ${ms(ob.pct(inside, 50))}, p99 ${ms(ob.pct(inside, 99))}`,
  );
  return { route, status, missing };
}

/** The failing measurement's finishedAt, per rollout, from its background AnalysisRun. */
async function failedAt(w: World, sample: readonly fx.Target[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < fx.NAMESPACES; i++) {
    const list = await w.kube.list<AnalysisRun>(API_VERSION, 'AnalysisRun', {
      namespace: `bench-ro-${i}`,
    });
    for (const run of list.items) {
      const owner = run.metadata.ownerReferences?.[0]?.name ?? '';
      const m = run.status?.metricResults?.[0]?.measurements?.find((x) => x.phase === 'Failed');
      if (m?.finishedAt) out.set(`${run.metadata.namespace}/${owner}`, Date.parse(m.finishedAt));
    }
  }
  return new Map([...out].filter(([k]) => sample.some((t) => fx.keyOf(t) === k)));
}

async function abortLatency(w: World, sample: readonly fx.Target[]) {
  const m0 = await ob.scrape(w.url);
  const cpu0 = await ob.cpuSeconds(w.pid);
  const srv0 = await w.serverCpu();
  await update(w, sample);
  const measuring = (t: fx.Target): boolean => {
    const s = ro(w, t)?.status;
    return (
      s?.phase === 'Paused' &&
      w.routes.last(fx.keyOf(t)) === fx.ABORT_WEIGHT &&
      (w.exporter.servedGood.get(t.name) ?? 0) >= 2
    );
  };
  await waitUntil(
    'paused at 20 % and measuring',
    () => sample.filter(measuring).length,
    sample.length,
    300_000,
  );
  const flipped = new Map<string, number>();
  for (const t of sample) {
    const at = Date.now();
    flipped.set(fx.keyOf(t), at);
    w.exporter.fail(t.name);
    await sleep(Math.max(0, 1000 / RATE - (Date.now() - at)));
  }
  const back = (t: fx.Target): number | undefined =>
    w.routes.firstAt(fx.keyOf(t), 0, flipped.get(fx.keyOf(t)) ?? 0);
  await waitUntil(
    'back at 100 % stable',
    () => sample.filter((t) => back(t) !== undefined).length,
    sample.length,
    120_000,
  );
  const m1 = await ob.scrape(w.url);
  const cpu = (await ob.cpuSeconds(w.pid)) - cpu0;
  const srv = (await w.serverCpu()) - srv0;
  progress.detail(
    `${ob.reconciles(m0, m1)}; requests ${JSON.stringify(ob.delta(m0, m1))}; CPU: controller ${cpu.toFixed(1)} s, API server + etcd ${srv.toFixed(1)} s`,
  );
  const finished = await failedAt(w, sample);
  const served: number[] = [];
  const measured: number[] = [];
  const fromFlip: number[] = [];
  /** The two halves: bad answer -> run seen Failed (analysis), run Failed -> 0 % (rollout). */
  const analysisSide: number[] = [];
  const rolloutSide: number[] = [];
  for (const t of sample) {
    const key = fx.keyOf(t);
    const at = back(t) ?? 0;
    const bad = w.exporter.servedBad.get(t.name);
    if (bad !== undefined) served.push(at - bad);
    const fin = finished.get(key);
    if (fin !== undefined) measured.push(at - fin);
    fromFlip.push(at - (flipped.get(key) ?? 0));
    const runFailed = w.runFailed.get(key);
    if (runFailed !== undefined && bad !== undefined) {
      analysisSide.push(runFailed - bad);
      rolloutSide.push(at - runFailed);
    }
  }
  dump('abort', { served, measured, fromFlip, analysisSide, rolloutSide });
  const degraded = sample.filter((t) => ro(w, t)?.status?.phase === 'Degraded').length;
  progress.detail(
    `${sample.length} aborts (${degraded} Degraded): bad answer served -> HTTPRoute 0 %: p50 ${ms(ob.pct(served, 50))}, p99 ${ms(ob.pct(served, 99))}; measurement finishedAt -> 0 %: p50 ${ms(ob.pct(measured, 50))}, p99 ${ms(ob.pct(measured, 99))} (${measured.length} runs); exporter flipped -> 0 % (includes the 1 s interval): p50 ${ms(ob.pct(fromFlip, 50))}, p99 ${ms(ob.pct(fromFlip, 99))}; of which bad answer -> run seen Failed p50 ${ms(ob.pct(analysisSide, 50))}, p99 ${ms(ob.pct(analysisSide, 99))}, run Failed -> 0 % p50 ${ms(ob.pct(rolloutSide, 50))}, p99 ${ms(ob.pct(rolloutSide, 99))}`,
  );
  return { served, measured, fromFlip };
}

function startController(kubeconfig: string, port: number) {
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
    const pid = controller.pid ?? 0;
    while (
      !(await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await sleep(100);
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
    const row = `| ${started.toISOString().slice(0, 16).replace('T', ' ')} | ${N} | ${cpus().length} CPU, load ${load0} -> ${loadavg()[0]?.toFixed(1)} | ${coldS.toFixed(1)} s | ${noop.requests} / ${noop.cpu.toFixed(2)} s | ${ob.pct(step.route, 50)} / ${ob.pct(step.route, 99)} ms (${step.route.length}) | ${ob.pct(abort.served, 50)} / ${ob.pct(abort.served, 99)} ms (${abort.served.length}) | ${ob.pct(abort.measured, 50)} / ${ob.pct(abort.measured, 99)} ms | ${rss.peak} MB | ${NODE_OPTIONS || 'defaults'} |`;
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
