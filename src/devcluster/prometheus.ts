/**
 * A real Prometheus on this machine: Debian's package (`apt-get install prometheus`,
 * /usr/bin/prometheus, or $SLUICE_PROMETHEUS), started for the analysis tests and the demo,
 * listening on 127.0.0.1 only, its config and TSDB in a directory of its own, scraping every
 * second, with no remote anything.
 *
 * Targets come from a file (`file_sd_configs`) that Prometheus re-reads within a second, and the
 * caller keeps it current (`setTargets`). Why not the alternatives, for pods on the real node:
 * - Kubernetes discovery: Debian builds Prometheus without `kubernetes_sd_configs` (the config
 *   fails to load with "field kubernetes_sd_configs not found").
 * - Scraping a Service's NodePort: every scrape reaches another pod, so the counters of several
 *   pods interleave in one series and `rate()` over it means nothing.
 * - Each pod directly, `podIP:port`: correct and simple. The host reaches every pod of the real
 *   node: `dev-cluster up` routes the node's pod CIDR via the node's veth (node/network.ts), so a
 *   pod is one target and its labels (pod-template hash...) become the series' labels. The demo
 *   keeps the list from a watch of the pods (src/demo/scrape.ts).
 *
 * `stop()` ends the process and removes the directory; every started one is also killed when
 * this process exits. With a fixed `dir`, a Prometheus left running there by a run that was
 * killed (its PID file says so, and it still runs with that config) is stopped first.
 *
 * @example
 * const prom = await startPrometheus({ jobName: 'test', targets: [{ targets: ['127.0.0.1:9100'] }] });
 * await prom.waitFor('up == 1');
 * await prom.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../errors.ts';
import { tail } from '../util/exec.ts';

export const PROMETHEUS_BIN = process.env['SLUICE_PROMETHEUS'] ?? '/usr/bin/prometheus';

export type PrometheusErrorCode =
  | 'PrometheusMissing'
  | 'PrometheusPortInUse'
  | 'PrometheusDied'
  | 'PrometheusNotReady'
  | 'PrometheusQueryFailed';

export class PrometheusError extends SluiceError {
  declare readonly code: PrometheusErrorCode;
  /** PrometheusQueryFailed: Prometheus' own words (`error` of its answer). */
  readonly said: string | undefined;
  constructor(
    code: PrometheusErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; said?: string } = {},
  ) {
    super(code, message, options);
    this.name = 'PrometheusError';
    this.said = options.said;
  }
}

/** A file_sd target group: `host:port` targets and the labels their series get. */
export interface TargetGroup {
  targets: readonly string[];
  labels?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions {
  /** The scrape job's name (the `job` label). Default `sluice`. */
  jobName?: string;
  /** Scraped from the start; `setTargets` replaces them. */
  targets?: readonly TargetGroup[];
  scrapeIntervalS?: number;
  /** Default `/metrics`. */
  metricsPath?: string;
  /** Listen on 127.0.0.1:port (default: a free port). */
  port?: number;
  /** Config, targets, TSDB and log live here (default: a new temp dir); removed on stop. */
  dir?: string;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>`: what an AnalysisTemplate's `address` says. */
  url: string;
  pid: number;
  /** An instant query; the raw `data` of Prometheus' answer. */
  query(promql: string): Promise<{ resultType: string; result: unknown[] }>;
  /** Scrape these from now on (Prometheus reads the file within a second). */
  setTargets(groups: readonly TargetGroup[]): Promise<void>;
  /** Waits until `promql` returns a non-empty vector (series exist, the condition holds). */
  waitFor(promql: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The binary, or a PrometheusMissing error saying how to install it. */
export async function prometheusBinary(binary = PROMETHEUS_BIN): Promise<string> {
  try {
    await access(binary, constants.X_OK);
    return binary;
  } catch (err) {
    throw new PrometheusError('PrometheusMissing', `Prometheus is not installed (${binary})`, {
      cause: err,
      hint: 'apt-get install prometheus (its own service is not needed: Sluice starts one of its own on 127.0.0.1)',
    });
  }
}

const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

/** Prometheus reads YAML, and JSON is YAML: no quoting to get wrong. */
export function prometheusConfig(o: {
  dir: string;
  jobName: string;
  intervalS: number;
  metricsPath: string;
}): string {
  const every = `${o.intervalS}s`;
  return JSON.stringify({
    global: { scrape_interval: every, evaluation_interval: every },
    scrape_configs: [
      {
        job_name: o.jobName,
        scrape_interval: every,
        scrape_timeout: every,
        metrics_path: o.metricsPath,
        file_sd_configs: [{ files: [join(o.dir, 'targets.json')], refresh_interval: '1s' }],
      },
    ],
  });
}

/** Binds 127.0.0.1:port (0: any) for a moment: the port, or undefined if taken. */
async function tryPort(port: number): Promise<number | undefined> {
  const s = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!ok) return undefined;
  const bound = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return bound;
}

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the Prometheus a killed run left in `dir` (only if it still runs with that config). */
async function stopLeftover(dir: string): Promise<void> {
  const pid = Number(await readFile(join(dir, 'prometheus.pid'), 'utf8').catch(() => ''));
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(`--config.file=${join(dir, 'prometheus.yml')}`)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && running(pid); i++) await sleep(100);
  if (running(pid)) process.kill(pid, 'SIGKILL');
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((r) => child.once('exit', () => r(true))),
    sleep(ms).then(() => false),
  ]);
}

async function prepareDir(o: PrometheusOptions): Promise<string> {
  if (!o.dir) return mkdtemp(join(tmpdir(), 'sluice-prometheus-'));
  await stopLeftover(o.dir);
  await rm(o.dir, { recursive: true, force: true });
  await mkdir(o.dir, { recursive: true });
  return o.dir;
}

async function choosePort(port: number | undefined): Promise<number> {
  const got = await tryPort(port ?? 0);
  if (got !== undefined) return got;
  throw new PrometheusError(
    'PrometheusPortInUse',
    `cannot start Prometheus on 127.0.0.1:${port}: something else listens there`,
    { hint: `\`ss -ltnp 'sport = :${port}'\` shows what; stop it and try again` },
  );
}

export async function startPrometheus(o: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const binary = await prometheusBinary(o.binary);
  const port = await choosePort(o.port);
  const dir = await prepareDir(o);
  const setTargets = (groups: readonly TargetGroup[]): Promise<void> =>
    writeFile(join(dir, 'targets.json'), JSON.stringify(groups));
  const logPath = join(dir, 'prometheus.log');
  let child: ChildProcess;
  try {
    await setTargets(o.targets ?? []);
    const config = {
      dir,
      jobName: o.jobName ?? 'sluice',
      intervalS: o.scrapeIntervalS ?? 1,
      metricsPath: o.metricsPath ?? '/metrics',
    };
    await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(config));
    const log = openSync(logPath, 'a');
    child = spawn(
      binary,
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
    if (child.pid) await writeFile(join(dir, 'prometheus.pid'), String(child.pid));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
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
  const url = `http://127.0.0.1:${port}`;
  const query = (promql: string): Promise<{ resultType: string; result: unknown[] }> =>
    instantQuery(url, promql);
  try {
    await waitUntil(`Prometheus to be ready at ${url}`, o.readyTimeoutMs ?? 30_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = await readFile(logPath, 'utf8').catch(() => '');
        throw new PrometheusError('PrometheusDied', `Prometheus exited:\n${tail(log, 5)}`, {
          hint: `its config is ${join(dir, 'prometheus.yml')}`,
        });
      }
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

async function instantQuery(
  url: string,
  promql: string,
): Promise<{ resultType: string; result: unknown[] }> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: promql }),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown[] };
  };
  if (body.status !== 'success') {
    const said = body.error ?? `HTTP ${res.status}`;
    throw new PrometheusError(
      'PrometheusQueryFailed',
      `Prometheus at ${url} rejected the query ${promql}: ${said}`,
      { said },
    );
  }
  return body.data;
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
      if (err instanceof PrometheusError && err.code === 'PrometheusDied') throw err;
      error = err;
    }
    if (Date.now() > deadline)
      throw new PrometheusError(
        'PrometheusNotReady',
        `timed out after ${timeoutMs} ms waiting for ${what}${error instanceof Error ? `: ${error.message}` : ''}`,
      );
    await sleep(200);
  }
}
