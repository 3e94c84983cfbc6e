/**
 * The measured phases of the rollouts benchmark (bench/rollouts.ts): the no-op resync pass, step
 * advance (pause expiry -> next weight) and abort (bad answer -> 0 % canary), each from watches
 * and the controller's /metrics, with the parts of each latency that say where time goes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnalysisRun } from '../src/api/analysis.ts';
import { API_VERSION } from '../src/api/application.ts';
import type { Rollout } from '../src/api/rollout.ts';
import type { Kube } from '../src/kube/api.ts';
import type { Informer } from '../src/kube/informer.ts';
import { consoleProgress, formatDuration } from '../src/util/progress.ts';
import * as fx from './rollouts-fixtures.ts';
import * as ob from './rollouts-observe.ts';

const progress = consoleProgress();
const ms = (x: number): string => `${Math.round(x)} ms`;

export interface World {
  /** Rollouts updated (and exporters failed) per second. */
  rate: number;
  /** Writes raw samples for a closer look (`--dump DIR`). */
  dump: (name: string, data: unknown) => void;
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

export async function waitUntil(what: string, done: () => number, total: number, limitMs: number) {
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
    await sleep(Math.max(0, 1000 / w.rate - (Date.now() - at)));
  }
  return sent;
}

export async function steadyPass(w: World) {
  await sleep(3000);
  const before = await ob.scrape(w.url);
  const server0 = await ob.apiserverMetrics(w.kubeconfig);
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
  const server = ob.apiserverDelta(server0, await ob.apiserverMetrics(w.kubeconfig));
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
export async function stepAdvance(w: World, sample: readonly fx.Target[]) {
  const old = new Map(sample.map((t) => [fx.keyOf(t), ro(w, t)?.status?.stableRS]));
  const m0 = await ob.scrape(w.url);
  const cpu0 = await ob.cpuSeconds(w.pid);
  const srv0 = await w.serverCpu();
  const api0 = await ob.apiserverMetrics(w.kubeconfig);
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
  const api = ob.apiserverLatency(api0, await ob.apiserverMetrics(w.kubeconfig));
  progress.detail(`API server, all clients (requests x mean time): ${api}`);
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
  w.dump('step', {
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

export async function abortLatency(w: World, sample: readonly fx.Target[]) {
  const m0 = await ob.scrape(w.url);
  const cpu0 = await ob.cpuSeconds(w.pid);
  const srv0 = await w.serverCpu();
  const api0 = await ob.apiserverMetrics(w.kubeconfig);
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
    await sleep(Math.max(0, 1000 / w.rate - (Date.now() - at)));
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
  const api = ob.apiserverLatency(api0, await ob.apiserverMetrics(w.kubeconfig));
  progress.detail(`API server, all clients (requests x mean time): ${api}`);
  const finished = await failedAt(w, sample);
  const served: number[] = [];
  const measured: number[] = [];
  const fromFlip: number[] = [];
  /** The two halves: bad answer -> run seen Failed (analysis), run Failed -> 0 % (rollout). */
  const analysisSide: number[] = [];
  const rolloutSide: number[] = [];
  /** The rollout side split: run Failed -> the aborting reconcile plans (its abortedAt) -> 0 %. */
  const queued: number[] = [];
  const inside: number[] = [];
  const timeline: unknown[] = [];
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
    const abortedAt = Date.parse(ro(w, t)?.status?.abortedAt ?? '');
    if (runFailed !== undefined && !Number.isNaN(abortedAt)) {
      queued.push(abortedAt - runFailed);
      inside.push(at - abortedAt);
    }
    timeline.push({ key, flipped: flipped.get(key), bad, fin, runFailed, abortedAt, back: at });
  }
  w.dump('abort', { served, measured, fromFlip, analysisSide, rolloutSide, timeline });
  const degraded = sample.filter((t) => ro(w, t)?.status?.phase === 'Degraded').length;
  progress.detail(
    `${sample.length} aborts (${degraded} Degraded): bad answer served -> HTTPRoute 0 %: p50 ${ms(ob.pct(served, 50))}, p99 ${ms(ob.pct(served, 99))}; measurement finishedAt -> 0 %: p50 ${ms(ob.pct(measured, 50))}, p99 ${ms(ob.pct(measured, 99))} (${measured.length} runs); exporter flipped -> 0 % (includes the 1 s interval): p50 ${ms(ob.pct(fromFlip, 50))}, p99 ${ms(ob.pct(fromFlip, 99))}; of which bad answer -> run seen Failed p50 ${ms(ob.pct(analysisSide, 50))}, p99 ${ms(ob.pct(analysisSide, 99))}, run Failed -> 0 % p50 ${ms(ob.pct(rolloutSide, 50))}, p99 ${ms(ob.pct(rolloutSide, 99))} (run Failed -> abortedAt p50 ${ms(ob.pct(queued, 50))}, p99 ${ms(ob.pct(queued, 99))}; abortedAt -> 0 % p50 ${ms(ob.pct(inside, 50))}, p99 ${ms(ob.pct(inside, 99))})`,
  );
  return { served, measured, fromFlip };
}
