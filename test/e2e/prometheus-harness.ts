/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for tests and the demo, and a test exporter
 * whose request counters the test drives.
 *
 * - `startTestExporter()`: an HTTP server on 127.0.0.1 serving `/metrics` with
 *   `http_requests_total{code="200"|"500",path="/"}` (the sample web app's names);
 *   `exporter.serve(rps, errorRate)` sets how fast they grow and which share is 500s.
 * - `startPrometheus({ targets })`: Prometheus on 127.0.0.1:<free port>, scraping `targets`
 *   every second (job `test`), its config and TSDB in a temp dir, no remote anything.
 *
 * Both stop by PID / close, and remove what they created. Every started one is also stopped
 * when the process exits, so a failed test leaves nothing running.
 *
 * @example
 * const good = await startTestExporter(); good.serve(10, 0);
 * const prom = await startPrometheus({ targets: [good.target] });
 * await prom.waitFor(`sum(rate(http_requests_total{instance="${good.target}"}[5s])) > 0`);
 * ...
 * await prom.stop(); await good.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROMETHEUS_BIN = process.env['SLUICE_PROMETHEUS'] ?? '/usr/bin/prometheus';

export interface TestExporter {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`: a scrape target, and the `instance` label of its series. */
  target: string;
  /** From now on: `rps` requests a second, `errorRate` (0..1) of them answered 500. */
  serve(rps: number, errorRate: number): void;
  /** The counters as they are now. */
  totals(): { ok: number; errors: number };
  stop(): Promise<void>;
}

const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

export async function startTestExporter(): Promise<TestExporter> {
  let ok = 0;
  let errors = 0;
  let rate = { rps: 0, errorRate: 0 };
  // Both counters move in the same tick, so a scrape sees them in proportion (exact ratios).
  const tick = setInterval(() => {
    const n = rate.rps / 10;
    ok += n * (1 - rate.errorRate);
    errors += n * rate.errorRate;
  }, 100);
  tick.unref();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP http_requests_total Requests served, by status code.',
        '# TYPE http_requests_total counter',
        `http_requests_total{code="200",path="/"} ${ok}`,
        `http_requests_total{code="500",path="/"} ${errors}`,
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = (): void => {
    clearInterval(tick);
    server.closeAllConnections();
    server.close();
  };
  live.add(close);
  return {
    url: `http://127.0.0.1:${port}`,
    target: `127.0.0.1:${port}`,
    serve: (rps, errorRate) => {
      rate = { rps, errorRate };
    },
    totals: () => ({ ok, errors }),
    stop: async () => {
      live.delete(close);
      clearInterval(tick);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>`: what an AnalysisTemplate's `address` says. */
  url: string;
  pid: number;
  /** An instant query; the raw `data` of Prometheus' answer. */
  query(promql: string): Promise<{ resultType: string; result: unknown[] }>;
  /** Scrape these targets from now on (e.g. the pods of a new ReplicaSet), with extra labels. */
  setTargets(targets: readonly string[], labels?: Record<string, string>): Promise<void>;
  /** Waits until `promql` returns a non-empty vector (series exist, the condition holds). */
  waitFor(promql: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (Prometheus binds it a moment later). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Targets come from a file Prometheus watches, so `setTargets` takes effect within a second. */
function config(dir: string, intervalS: number, metricsPath: string): string {
  return [
    'global:',
    `  scrape_interval: ${intervalS}s`,
    `  evaluation_interval: ${intervalS}s`,
    'scrape_configs:',
    '  - job_name: test',
    `    scrape_interval: ${intervalS}s`,
    `    scrape_timeout: ${intervalS}s`,
    `    metrics_path: ${JSON.stringify(metricsPath)}`,
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(join(dir, 'targets.json'))}]`,
    '        refresh_interval: 1s',
    '',
  ].join('\n');
}

const targetsFile = (targets: readonly string[], labels: Record<string, string> = {}): string =>
  JSON.stringify([{ targets, labels }]);

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((r) => child.once('exit', () => r(true))),
    sleep(ms).then(() => false),
  ]);
}

export async function startPrometheus(options: {
  /** `host:port` to scrape (job `test`; the `instance` label is the target). */
  targets: readonly string[];
  scrapeIntervalS?: number;
  /** Default `/metrics`. */
  metricsPath?: string;
}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-prometheus-'));
  const setTargets = (targets: readonly string[], labels?: Record<string, string>): Promise<void> =>
    writeFile(join(dir, 'targets.json'), targetsFile(targets, labels));
  try {
    await setTargets(options.targets);
    await writeFile(
      join(dir, 'prometheus.yml'),
      config(dir, options.scrapeIntervalS ?? 1, options.metricsPath ?? '/metrics'),
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(dir, 'prometheus.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const kill = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(kill);
  const stop = async (): Promise<void> => {
    live.delete(kill);
    child.kill('SIGTERM');
    if (!(await exited(child, 10_000))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const query = async (promql: string): Promise<{ resultType: string; result: unknown[] }> => {
    const res = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: promql }),
    });
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data: { resultType: string; result: unknown[] };
    };
    if (body.status !== 'success') throw new Error(`Prometheus: ${body.error ?? res.status}`);
    return body.data;
  };
  try {
    await waitUntil(`Prometheus ready at ${url}`, 30_000, async () => {
      if (child.exitCode !== null)
        throw new Error(`prometheus exited: ${await readFile(logPath, 'utf8')}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.status === 200;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: child.pid ?? 0,
    query,
    setTargets,
    waitFor: (promql, timeoutMs = 30_000) =>
      waitUntil(`${promql} to return data`, timeoutMs, async () => {
        const data = await query(promql).catch(() => undefined);
        return (data?.result.length ?? 0) > 0;
      }),
    stop,
  };
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let error: unknown;
    try {
      if (await check()) return;
    } catch (err) {
      error = err;
      if (err instanceof Error && err.message.startsWith('prometheus exited')) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${error instanceof Error ? `: ${error.message}` : ''}`,
      );
    await sleep(200);
  }
}
