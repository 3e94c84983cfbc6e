/**
 * AnalysisRuns on the dev cluster, measured by real providers: a real Prometheus (Debian's)
 * scraping test exporters whose error rate the test sets, a web endpoint on 127.0.0.1, and Jobs
 * on the real node. The AnalysisRun controller runs in the test process, in a Manager, as it
 * does in `sluice controller`.
 *
 * What a user checks: a good success rate passes and a bad one fails naming the value and the
 * condition; a Prometheus outage is Error ("unreachable"), never Failed; a PromQL typo is Error
 * with Prometheus' own message; runs stop when terminated; measurements stay bounded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type {
  AnalysisRun,
  AnalysisRunSpec,
  AnalysisTemplate,
  Metric,
} from '../../src/api/analysis.ts';
import { API_VERSION } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { createAnalysisController } from '../../src/analysis/controller.ts';
import { buildAnalysisRun } from '../../src/analysis/build.ts';
import { resolveArgs } from '../../src/analysis/args.ts';
import type { PrometheusError } from '../../src/devcluster/prometheus.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  startPrometheus,
  startTestExporter,
  type RunningPrometheus,
  type TestExporter,
} from './prometheus-harness.ts';

const ns = useNamespace('analysis');
let prom: RunningPrometheus;
let good: TestExporter;
let bad: TestExporter;

/** The success rate of one exporter over 5 s, as teams write it. */
const successRate = (instance: string): string =>
  `sum(rate(http_requests_total{instance="${instance}",code!~"5.."}[5s])) / sum(rate(http_requests_total{instance="${instance}"}[5s]))`;

beforeAll(async () => {
  const k = await kube();
  await installCrds(k, silentProgress);
  good = await startTestExporter();
  good.serve(20, 0);
  bad = await startTestExporter();
  bad.serve(20, 0.5);
  prom = await startPrometheus({ targets: [good.target, bad.target] });
  await prom.waitFor(successRate(good.target));
  await prom.waitFor(successRate(bad.target));
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await good?.stop();
  await bad?.stop();
});

/** The AnalysisRun controller for this test's namespace, stopped when the test ends. */
async function startController(k: Kube): Promise<void> {
  const log = process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger;
  const manager = new Manager({
    kube: k,
    namespace: ns(),
    log,
    leaderElection: { enabled: false },
  });
  manager.add(createAnalysisController({ kube: k, namespaces: [ns()], log }));
  await manager.start();
  onTestFinished(() => manager.stop());
}

async function createRun(k: Kube, name: string, spec: AnalysisRunSpec): Promise<void> {
  await k.create({
    apiVersion: API_VERSION,
    kind: 'AnalysisRun',
    metadata: { name, namespace: ns() },
    spec,
  });
}

const getRun = async (k: Kube, name: string): Promise<AnalysisRun | undefined> =>
  k.get<AnalysisRun>(API_VERSION, 'AnalysisRun', ns(), name);

/** Waits until the run reaches `phase`; fails early if it ends in another phase. */
async function waitPhase(
  k: Kube,
  name: string,
  phase: string,
  timeoutMs = 60_000,
): Promise<AnalysisRun> {
  return eventually(
    `AnalysisRun ${name} to be ${phase}`,
    async () => {
      const run = await getRun(k, name);
      const now = run?.status?.phase;
      if (now && now !== phase && ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(now))
        throw new Error(`AnalysisRun ${name} ended ${now}: ${run?.status?.message ?? ''}`);
      return now === phase ? run : undefined;
    },
    timeoutMs,
  );
}

const promMetric = (address: string, query: string, extra: Partial<Metric> = {}): Metric => ({
  name: 'success-rate',
  interval: '1s',
  count: 3,
  successCondition: 'result[0] >= 0.99',
  provider: { prometheus: { address, query } },
  ...extra,
});

const onRealNode = {
  nodeSelector: { 'sluice.dev/real-node': 'true' },
  tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
};
const jobMetric = (name: string, script: string): Metric => ({
  name,
  provider: {
    job: {
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            ...onRealNode,
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'check',
                image: 'localhost:5000/busybox:latest',
                command: ['sh', '-c', script],
              },
            ],
          },
        },
      },
    },
  },
});

describe('analysis', () => {
  it('a success rate from Prometheus: 0 % errors is Successful, 50 % Failed naming the value and the condition', async () => {
    const k = await kube();
    await startController(k);
    // Created as the Rollout controller does: a template, the Rollout's args, buildAnalysisRun.
    const rollout = await k.create({
      apiVersion: API_VERSION,
      kind: 'Rollout',
      metadata: { name: 'web', namespace: ns() },
      spec: { strategy: { canary: {} } },
    });
    const template: AnalysisTemplate = {
      apiVersion: API_VERSION,
      kind: 'AnalysisTemplate',
      metadata: { name: 'success-rate', namespace: ns() },
      spec: {
        args: [{ name: 'instance' }, { name: 'threshold', value: '0.99' }],
        metrics: [
          promMetric(prom.url, successRate('{{args.instance}}'), {
            successCondition: 'result[0] >= {{args.threshold}}',
          }),
        ],
      },
    };
    await k.create(template);
    const stored = await k.get<AnalysisTemplate>(
      API_VERSION,
      'AnalysisTemplate',
      ns(),
      'success-rate',
    );
    for (const [name, exporter] of [
      ['web-good', good],
      ['web-bad', bad],
    ] as const) {
      const run = buildAnalysisRun({
        rollout: { name: 'web', namespace: ns(), uid: rollout.metadata.uid ?? '' },
        templates: [stored as AnalysisTemplate],
        args: resolveArgs([{ name: 'instance', value: exporter.target }], {
          stableHash: 'a',
          latestHash: 'b',
          rollout,
        }),
        name,
      });
      await k.create(run);
    }

    const ok = await waitPhase(k, 'web-good', 'Successful');
    expect(ok.status?.metricResults?.[0]).toMatchObject({
      name: 'success-rate',
      phase: 'Successful',
      count: 3,
      successful: 3,
    });
    expect(ok.status?.metricResults?.[0]?.measurements?.map((m) => m.value)).toEqual([
      '[1]',
      '[1]',
      '[1]',
    ]);

    const failed = await waitPhase(k, 'web-bad', 'Failed');
    expect(failed.status?.message).toBe(
      'metric "success-rate" assessed Failed due to failed (1) > failureLimit (0): result [0.5] does not satisfy result[0] >= 0.99',
    );
    // It fails on the first bad measurement; no more are taken.
    expect(failed.status?.metricResults?.[0]).toMatchObject({ count: 1, failed: 1 });
    expect(failed.status?.metricResults?.[0]?.measurements?.[0]).toMatchObject({
      phase: 'Failed',
      value: '[0.5]',
    });
    const events = await k.list('v1', 'Event', {
      namespace: ns(),
      fieldSelector: 'involvedObject.name=web-bad',
    });
    expect(events.items.map((e) => e['reason'])).toContain('AnalysisRunFailed');
  });

  it('Prometheus down is Error "unreachable", never Failed, until consecutiveErrorLimit ends the run in Error', async () => {
    const k = await kube();
    await startController(k);
    const own = await startPrometheus({ targets: [good.target] });
    onTestFinished(() => own.stop());
    await own.waitFor(successRate(good.target));
    const { count: _once, ...unbounded } = promMetric(own.url, successRate(good.target));
    await createRun(k, 'outage', { metrics: [unbounded] });
    await eventually('a first Successful measurement', async () => {
      const r = await getRun(k, 'outage');
      return (r?.status?.metricResults?.[0]?.successful ?? 0) >= 1 ? true : undefined;
    });
    await own.stop();

    const run = await waitPhase(k, 'outage', 'Error', 30_000);
    const result = run.status?.metricResults?.[0];
    expect(result).toMatchObject({ phase: 'Error', error: 5, consecutiveError: 5 });
    expect(result?.failed ?? 0).toBe(0);
    const errors = (result?.measurements ?? []).filter((m) => m.phase === 'Error');
    expect(errors).toHaveLength(5);
    const port = new URL(own.url).port;
    for (const m of errors) {
      expect(m.message).toBe(
        `Prometheus unreachable at ${own.url}: connect ECONNREFUSED 127.0.0.1:${port}`,
      );
      expect(m.metadata).toMatchObject({ errorKind: 'Unreachable' });
    }
    expect(result?.measurements?.some((m) => m.phase === 'Failed')).toBe(false);
    expect(run.status?.message).toBe(
      `metric "success-rate" assessed Error due to consecutive errors (5) > consecutiveErrorLimit (4): Prometheus unreachable at ${own.url}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("a PromQL syntax error is Error with Prometheus' own message; an empty result is Error, not Failed", async () => {
    const k = await kube();
    await startController(k);
    const typo = 'sum(rate(http_requests_total[5s])';
    const said = await prom.query(typo).then(
      () => '',
      (err: PrometheusError) => err.said ?? err.message,
    );
    expect(said).toContain('parse error');
    await createRun(k, 'typo', {
      metrics: [promMetric(prom.url, typo, { count: 1, consecutiveErrorLimit: 1 })],
    });
    await createRun(k, 'nodata', {
      metrics: [
        promMetric(prom.url, successRate('127.0.0.1:1'), { count: 1, consecutiveErrorLimit: 0 }),
      ],
    });

    const run = await waitPhase(k, 'typo', 'Error');
    const m = run.status?.metricResults?.[0]?.measurements?.[0];
    expect(m?.message).toBe(`Prometheus at ${prom.url} rejected the query: bad_data: ${said}`);
    expect(m?.metadata).toMatchObject({ errorKind: 'QueryError' });
    expect(run.status?.metricResults?.[0]).toMatchObject({ error: 2, consecutiveError: 2 });

    const empty = await waitPhase(k, 'nodata', 'Error');
    expect(empty.status?.metricResults?.[0]?.measurements?.[0]).toMatchObject({
      phase: 'Error',
      value: '[]',
      message:
        'cannot evaluate result[0] >= 0.99 on result []: index 0 is out of range (length 0) at 7',
      metadata: { errorKind: 'Evaluation' },
    });
  });

  it('web: JSON through a jsonPath; a dry-run metric never fails the run; measurements stay bounded', async () => {
    const k = await kube();
    await startController(k);
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', latency: { p99: 120 } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(
      () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    await createRun(k, 'web', {
      metrics: [
        {
          name: 'status',
          interval: '200ms',
          count: 8,
          successCondition: 'result == "ok"',
          provider: { web: { url, jsonPath: '{$.status}' } },
        },
        {
          name: 'latency',
          failureCondition: 'result > 100',
          provider: { web: { url, jsonPath: '$.latency.p99' } },
        },
      ],
      dryRun: [{ metricName: 'latency' }],
      measurementRetention: [{ metricName: 'status', limit: 3 }],
    });
    const run = await waitPhase(k, 'web', 'Successful');
    const [status, latency] = run.status?.metricResults ?? [];
    expect(status).toMatchObject({ name: 'status', phase: 'Successful', count: 8, successful: 8 });
    expect(status?.measurements).toHaveLength(3);
    expect(status?.measurements?.[2]?.value).toBe('"ok"');
    expect(latency).toMatchObject({
      name: 'latency',
      phase: 'Failed',
      dryRun: true,
      message: 'result 120 meets failureCondition result > 100',
    });
    expect(run.status?.runSummary).toMatchObject({ count: 1, successful: 1, failed: 0 });
  });

  it('job: a Job on the real node; exit 0 is Successful, exit 1 Failed with the exit code', async () => {
    const k = await kube();
    await startController(k);
    await createRun(k, 'job-pass', { metrics: [jobMetric('smoke', 'echo fine; exit 0')] });
    await createRun(k, 'job-fail', { metrics: [jobMetric('smoke', 'echo broken; exit 1')] });

    const pass = await waitPhase(k, 'job-pass', 'Successful', 90_000);
    expect(pass.status?.metricResults?.[0]?.measurements?.[0]).toMatchObject({
      phase: 'Successful',
      message: `Job/${ns()}/job-pass-smoke-1 completed`,
      metadata: { jobName: 'job-pass-smoke-1' },
    });
    const job = await k.get('batch/v1', 'Job', ns(), 'job-pass-smoke-1');
    expect(job?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'AnalysisRun',
      name: 'job-pass',
      uid: pass.metadata.uid,
    });

    const fail = await waitPhase(k, 'job-fail', 'Failed', 90_000);
    const m = fail.status?.metricResults?.[0]?.measurements?.[0];
    expect(m?.phase).toBe('Failed');
    expect(m?.message).toContain(
      `Job/${ns()}/job-fail-smoke-1 failed: container check exited with code 1`,
    );
  });

  it('terminate: true ends a run with what it has; a Job in flight is deleted', async () => {
    const k = await kube();
    await startController(k);
    const server: Server = createServer((_req, res) => res.end('{"ok": true}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(
      () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await createRun(k, 'long', {
      metrics: [
        {
          name: 'ok',
          interval: '300ms',
          successCondition: 'result.ok',
          provider: { web: { url } },
        },
        jobMetric('soak', 'sleep 3600'),
      ],
    });
    await eventually('measurements and a Job running', async () => {
      const r = await getRun(k, 'long');
      const [ok, soak] = r?.status?.metricResults ?? [];
      const job = await k.get('batch/v1', 'Job', ns(), 'long-soak-1');
      return (ok?.count ?? 0) >= 2 && soak?.measurements?.[0]?.phase === 'Running' && job
        ? true
        : undefined;
    });
    await k.mergePatch(
      { apiVersion: API_VERSION, kind: 'AnalysisRun', metadata: { name: 'long', namespace: ns() } },
      { spec: { terminate: true } },
    );

    const run = await waitPhase(k, 'long', 'Successful');
    expect(run.status?.message).toBe('run terminated');
    await eventually('the Job in flight terminated', async () => {
      const r = await getRun(k, 'long');
      const soak = r?.status?.metricResults?.find((x) => x.name === 'soak');
      const job = await k.get<KubeObject>('batch/v1', 'Job', ns(), 'long-soak-1');
      return soak?.measurements?.[0]?.message === 'metric terminated' &&
        (!job || job.metadata.deletionTimestamp)
        ? true
        : undefined;
    });
    const count = (await getRun(k, 'long'))?.status?.metricResults?.[0]?.count;
    await sleep(1500);
    expect((await getRun(k, 'long'))?.status?.metricResults?.[0]?.count).toBe(count);
  });

  it('bad input ends the run in Error at once, saying what to fix', async () => {
    const k = await kube();
    await startController(k);
    await createRun(k, 'unknown-arg', {
      metrics: [promMetric(prom.url, 'up{instance="{{args.instance}}"}')],
    });
    await createRun(k, 'bad-condition', {
      metrics: [promMetric(prom.url, 'up', { successCondition: 'result[0] >' })],
    });
    expect((await waitPhase(k, 'unknown-arg', 'Error')).status?.message).toBe(
      "analysis spec invalid: metric success-rate uses {{args.instance}}, which is not an argument (the run has no arguments)\n  hint: add {name: instance} to the template's args and pass a value",
    );
    expect((await waitPhase(k, 'bad-condition', 'Error')).status?.message).toContain(
      'analysis spec invalid: metric success-rate: successCondition "result[0] >": unexpected end of condition at 12',
    );
  });
});
