/**
 * The analysis tests' Prometheus and a test exporter whose request counters the test drives.
 *
 * - `startTestExporter()`: an HTTP server on 127.0.0.1 serving `/metrics` with
 *   `http_requests_total{code="200"|"500",path="/"}` (the sample web app's names);
 *   `exporter.serve(rps, errorRate)` sets how fast they grow and which share is 500s.
 * - `startPrometheus({ targets })`: the real Prometheus of src/devcluster/prometheus.ts (Debian's
 *   package) on 127.0.0.1:<free port>, scraping `targets` every second as job `test`.
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
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startPrometheus as start,
  type RunningPrometheus,
} from '../../src/devcluster/prometheus.ts';

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

export type { RunningPrometheus };

/** Prometheus scraping `targets` every second (job `test`; `instance` is the target). */
export function startPrometheus(options: {
  targets: readonly string[];
  scrapeIntervalS?: number;
  /** Default `/metrics`. */
  metricsPath?: string;
}): Promise<RunningPrometheus> {
  return start({
    jobName: 'test',
    targets: [{ targets: options.targets }],
    ...(options.scrapeIntervalS !== undefined ? { scrapeIntervalS: options.scrapeIntervalS } : {}),
    ...(options.metricsPath !== undefined ? { metricsPath: options.metricsPath } : {}),
  });
}
