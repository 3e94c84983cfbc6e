/**
 * What the rollouts benchmark watches, with timestamps taken in this process: the HTTPRoutes'
 * canary weights and the Rollouts' pause start times (from watches), the test exporter the
 * analysis measures (what it served and when), the controller's /metrics (its API requests by
 * verb, its Rollout reconciles) and the API server's own request counts by resource, which say
 * where a controller's requests go. Plus /proc figures and percentiles.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { AnalysisRun } from '../src/api/analysis.ts';
import type { Rollout } from '../src/api/rollout.ts';
import type { Informer } from '../src/kube/informer.ts';
import type { HTTPRoute } from '../src/rollouts/traffic/gatewayapi.ts';
import { keyOf, routeWeight } from './rollouts-fixtures.ts';

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/**
 * The analysis' metrics endpoint: `/rate/<rollout>` answers `{"successRate": 1}` until the
 * rollout is made to fail, then `{"successRate": 0.5}`; it notes when it first served that.
 */
export class Exporter {
  private readonly server: Server;
  private readonly failing = new Set<string>();
  /** Rollout -> when the first bad answer was sent. */
  readonly servedBad = new Map<string, number>();
  /** Rollout -> good answers sent. */
  readonly servedGood = new Map<string, number>();

  private constructor() {
    this.server = createServer((req, res) => this.answer(req.url ?? '', res));
  }

  static async start(): Promise<Exporter> {
    const e = new Exporter();
    await new Promise<void>((r) => e.server.listen(0, '127.0.0.1', r));
    return e;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(url: string, res: ServerResponse): void {
    const name = /^\/rate\/([^/?]+)/.exec(url)?.[1];
    if (!name) {
      res.writeHead(404).end();
      return;
    }
    const bad = this.failing.has(name);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ successRate: bad ? 0.5 : 1 }), () => {
      if (!bad) this.servedGood.set(name, (this.servedGood.get(name) ?? 0) + 1);
      else if (!this.servedBad.has(name)) this.servedBad.set(name, Date.now());
    });
  }

  fail(name: string): void {
    this.failing.add(name);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface Stamped<T> {
  value: T;
  at: number;
}

/** Changes of a value per object, each with the time this process saw it. */
class ChangeLog<T> {
  private readonly log = new Map<string, Array<Stamped<T>>>();

  record(key: string, value: T, at: number): void {
    const list = this.log.get(key) ?? [];
    if (list.length > 0 && list[list.length - 1]?.value === value) return;
    list.push({ value, at });
    this.log.set(key, list);
  }

  /** When `key` first had `value` at or after `since`. */
  firstAt(key: string, value: T, since: number): number | undefined {
    return this.log.get(key)?.find((c) => c.value === value && c.at >= since)?.at;
  }

  all(key: string): ReadonlyArray<Stamped<T>> {
    return this.log.get(key) ?? [];
  }

  last(key: string): T | undefined {
    const list = this.log.get(key);
    return list?.[list.length - 1]?.value;
  }
}

/** The canary weight of every HTTPRoute, as the watch delivers it. */
export function watchRoutes(informer: Informer<HTTPRoute>): ChangeLog<number> {
  const log = new ChangeLog<number>();
  informer.on((type, route) => {
    const w = routeWeight(route);
    if (type !== 'deleted' && w !== undefined) log.record(keyOf(meta(route)), w, Date.now());
  });
  return log;
}

/** Pause start times and status weights of every Rollout, as the watch delivers them. */
export function watchRollouts(informer: Informer<Rollout>): {
  pauses: Map<string, Set<string>>;
  weights: ChangeLog<number>;
} {
  const pauses = new Map<string, Set<string>>();
  const weights = new ChangeLog<number>();
  informer.on((type, ro) => {
    if (type === 'deleted') return;
    const key = keyOf(ro.metadata);
    const now = Date.now();
    for (const c of ro.status?.pauseConditions ?? []) {
      const set = pauses.get(key) ?? new Set<string>();
      set.add(c.startTime);
      pauses.set(key, set);
    }
    const w = ro.status?.canary?.weights?.canary.weight;
    if (w !== undefined) weights.record(key, w, now);
  });
  return { pauses, weights };
}

/** When each Rollout's AnalysisRun was first seen Failed (by the owner Rollout's key). */
export function watchRuns(informer: Informer<AnalysisRun>): Map<string, number> {
  const failed = new Map<string, number>();
  informer.on((type, run) => {
    const owner = run.metadata.ownerReferences?.[0]?.name;
    const key = `${run.metadata.namespace}/${owner ?? ''}`;
    if (type !== 'deleted' && run.status?.phase === 'Failed' && !failed.has(key))
      failed.set(key, Date.now());
  });
  return failed;
}

function meta(o: { metadata: { name?: string; namespace?: string } }) {
  return { name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? '' };
}

export interface ControllerMetrics {
  /** `verb code` -> requests */
  counts: Map<string, number>;
  rolloutReconciles: number;
  /** Seconds spent in Rollout reconciles, in all. */
  rolloutReconcileSeconds: number;
}

export async function scrape(url: string): Promise<ControllerMetrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(
    /^sluice_k8s_request_total\{verb="([^"]+)",code="([^"]+)"\} (\d+)/gm,
  ))
    counts.set(`${m[1]} ${m[2]}`, Number(m[3]));
  const reconciles = /^sluice_rollout_reconcile_duration_seconds_count (\d+)/m.exec(text);
  const seconds = /^sluice_rollout_reconcile_duration_seconds_sum ([\d.e+-]+)/m.exec(text);
  return {
    counts,
    rolloutReconciles: Number(reconciles?.[1] ?? 0),
    rolloutReconcileSeconds: Number(seconds?.[1] ?? 0),
  };
}

/** Reconciles between two scrapes, and their mean duration. */
export function reconciles(a: ControllerMetrics, b: ControllerMetrics): string {
  const n = b.rolloutReconciles - a.rolloutReconciles;
  const mean = n ? ((b.rolloutReconcileSeconds - a.rolloutReconcileSeconds) / n) * 1000 : 0;
  return `${n} Rollout reconciles, mean ${mean.toFixed(1)} ms`;
}

/** Requests by verb between two scrapes (watches and lease renewals left out). */
export function delta(a: ControllerMetrics, b: ControllerMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b.counts) {
    const verb = k.split(' ')[0] ?? k;
    const d = v - (a.counts.get(k) ?? 0);
    if (d !== 0 && verb !== 'watch' && !verb.startsWith('lease:')) out[verb] = (out[verb] ?? 0) + d;
  }
  return out;
}

export interface ServerMetrics {
  /** `VERB resource[/subresource]` -> requests */
  requests: Map<string, number>;
  /** `VERB resource[/subresource]` -> seconds the API server spent answering them */
  seconds: Map<string, number>;
}

async function fetchMetrics(kubeconfig: string): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      { ...opts, hostname: server.hostname, port: server.port, path: '/metrics', method: 'GET' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Sums a metric's series by `VERB resource[/subresource]`. */
function byResource(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${metric}\\{([^}]*)\\} ([\\d.e+-]+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const labels = new Map<string, string>();
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels.set(l[1] ?? '', l[2] ?? '');
    const sub = labels.get('subresource');
    const res = `${labels.get('resource') ?? ''}${sub ? `/${sub}` : ''}`;
    const key = `${labels.get('verb') ?? ''} ${res || '(non-resource)'}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The API server's own request counts and times (all clients), from its /metrics. */
export async function apiserverMetrics(kubeconfig: string): Promise<ServerMetrics> {
  const text = await fetchMetrics(kubeconfig);
  return {
    requests: byResource(text, 'apiserver_request_total'),
    seconds: byResource(text, 'apiserver_request_duration_seconds_sum'),
  };
}

/** Requests that grew between two snapshots, biggest first (WATCH left out). */
export function apiserverDelta(a: ServerMetrics, b: ServerMetrics): Array<[string, number]> {
  return [...b.requests]
    .map(([k, v]): [string, number] => [k, v - (a.requests.get(k) ?? 0)])
    .filter(([k, d]) => d > 0 && !k.startsWith('WATCH'))
    .sort((x, y) => y[1] - x[1]);
}

/** The busiest request kinds between two snapshots, with the API server's mean time for each. */
export function apiserverLatency(a: ServerMetrics, b: ServerMetrics, top = 6): string {
  return apiserverDelta(a, b)
    .slice(0, top)
    .map(([k, n]) => {
      const s = (b.seconds.get(k) ?? 0) - (a.seconds.get(k) ?? 0);
      return `${k} ${n} x ${((s / n) * 1000).toFixed(0)} ms`;
    })
    .join(', ');
}

export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak (VmHWM) and current (VmRSS) resident memory, MB. */
export async function rssMb(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { peak: Math.round(kb('VmHWM') / 1024), now: Math.round(kb('VmRSS') / 1024) };
}
