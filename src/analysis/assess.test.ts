/**
 * Argo Rollouts' analysis rules as tables: when measurements are due, how they are counted and
 * bounded, and the phases of metrics and runs.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisPhase, Measurement, Metric, MetricResult } from '../api/analysis.ts';
import {
  assessMetric,
  assessRun,
  dueTasks,
  nextDueAt,
  recordMeasurement,
  type RunState,
} from './assess.ts';
import { metricPolicy, runPolicies, type MetricPolicy } from './policy.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

const metric = (m: Partial<Metric> = {}): Metric => ({
  name: 'm',
  provider: { web: { url: 'http://127.0.0.1:1/' } },
  ...m,
});

const done = (phase: AnalysisPhase, finishedAt = 10, message?: string): Measurement => ({
  phase,
  startedAt: at(finishedAt),
  finishedAt: at(finishedAt),
  ...(message ? { message } : {}),
});
const inFlight = (resumeAt?: number): Measurement => ({
  phase: 'Running',
  startedAt: at(5),
  ...(resumeAt !== undefined ? { resumeAt: at(resumeAt) } : {}),
});
const result = (r: Partial<MetricResult>, name = 'm'): MetricResult => ({
  name,
  phase: 'Running',
  ...r,
});
const policy = (m: Partial<Metric> = {}, spec = {}): MetricPolicy => metricPolicy(metric(m), spec);

describe('assessMetric', () => {
  it.each([
    ['no measurement yet', {}, undefined, false, 'Pending'],
    ['terminated before measuring', {}, undefined, true, 'Successful'],
    ['measurement in flight', {}, result({ measurements: [inFlight()] }), false, 'Running'],
    [
      'one success, count 1',
      {},
      result({ count: 1, successful: 1, measurements: [done('Successful')] }),
      false,
      'Successful',
    ],
    [
      'one failure, failureLimit 0',
      {},
      result({ count: 1, failed: 1, measurements: [done('Failed')] }),
      false,
      'Failed',
    ],
    [
      'one failure tolerated',
      { interval: '1s', count: 3, failureLimit: 1 },
      result({ count: 1, failed: 1, measurements: [done('Failed')] }),
      false,
      'Running',
    ],
    [
      'failures tolerated up to the count',
      { interval: '1s', count: 3, failureLimit: 1 },
      result({ count: 3, failed: 1, successful: 2, measurements: [done('Successful')] }),
      false,
      'Successful',
    ],
    [
      'failureLimit -1: never fails',
      { interval: '1s', count: 2, failureLimit: -1 },
      result({ count: 2, failed: 2, measurements: [done('Failed')] }),
      false,
      'Successful',
    ],
    [
      'inconclusive over the limit',
      {},
      result({ count: 1, inconclusive: 1, measurements: [done('Inconclusive')] }),
      false,
      'Inconclusive',
    ],
    [
      'errors up to the limit: still running',
      {},
      result({ error: 4, consecutiveError: 4, measurements: [done('Error')] }),
      false,
      'Running',
    ],
    [
      'errors over the limit',
      {},
      result({ error: 5, consecutiveError: 5, measurements: [done('Error')] }),
      false,
      'Error',
    ],
    [
      'errors never Failed',
      { consecutiveErrorLimit: 0 },
      result({ error: 1, consecutiveError: 1, measurements: [done('Error')] }),
      false,
      'Error',
    ],
    [
      'failed beats inconclusive',
      { interval: '1s' },
      result({ count: 2, failed: 1, inconclusive: 1, measurements: [done('Failed')] }),
      false,
      'Failed',
    ],
    [
      'unbounded metric runs on',
      { interval: '1s' },
      result({ count: 50, successful: 50, measurements: [done('Successful')] }),
      false,
      'Running',
    ],
    [
      'unbounded metric ends with the run',
      { interval: '1s' },
      result({ count: 50, successful: 50, measurements: [done('Successful')] }),
      true,
      'Successful',
    ],
    [
      'a completed metric stays completed',
      {},
      result({ phase: 'Failed', count: 1, failed: 1, measurements: [done('Failed')] }),
      false,
      'Failed',
    ],
  ] as Array<[string, Partial<Metric>, MetricResult | undefined, boolean, AnalysisPhase]>)(
    '%s',
    (_n, m, r, terminating, phase) => {
      expect(assessMetric(policy(m), r, terminating).phase).toBe(phase);
    },
  );
});

const run = (
  metrics: Metric[],
  results: MetricResult[],
  extra: Partial<RunState['spec']> = {},
): RunState => ({
  spec: { metrics, ...extra },
  status: { startedAt: at(0), metricResults: results },
});
const due = (r: RunState, now: number, retryMs?: number) =>
  dueTasks(r, runPolicies(r.spec), T0 + now * 1000, retryMs).map((t) =>
    t.resume ? `${t.metric}:resume` : t.metric,
  );
const nextIn = (r: RunState, retryMs?: number): number | undefined => {
  const n = nextDueAt(r, runPolicies(r.spec), retryMs);
  return n === undefined ? undefined : (n - T0) / 1000;
};

describe('dueTasks and nextDueAt: measurements come when due, never by polling', () => {
  it.each([
    ['first measurement at once', [metric()], [], 0, ['m'], 0],
    ['first after initialDelay', [metric({ initialDelay: '30s' })], [], 10, [], 30],
    ['initialDelay passed', [metric({ initialDelay: '30s' })], [], 30, ['m'], 30],
    [
      'again after the interval',
      [metric({ interval: '5s' })],
      [result({ count: 1, successful: 1, measurements: [done('Successful', 10)] })],
      12,
      [],
      15,
    ],
    [
      'interval passed',
      [metric({ interval: '5s' })],
      [result({ count: 1, successful: 1, measurements: [done('Successful', 10)] })],
      15,
      ['m'],
      15,
    ],
    [
      'count reached: not again',
      [metric({ interval: '5s', count: 1 })],
      [result({ count: 1, successful: 1, measurements: [done('Successful', 10)] })],
      99,
      [],
      undefined,
    ],
    [
      'an error is retried after the interval',
      [metric({ interval: '2s', count: 1 })],
      [result({ error: 1, consecutiveError: 1, measurements: [done('Error', 10)] })],
      12,
      ['m'],
      12,
    ],
    [
      'an error without interval: after 10 s',
      [metric()],
      [result({ error: 1, consecutiveError: 1, measurements: [done('Error', 10)] })],
      15,
      [],
      20,
    ],
    [
      'a completed metric is not measured',
      [metric({ interval: '1s' })],
      [result({ phase: 'Successful', measurements: [done('Successful', 10)] })],
      99,
      [],
      undefined,
    ],
    [
      'in flight without resumeAt: resumed on events',
      [metric()],
      [result({ measurements: [inFlight()] })],
      99,
      ['m:resume'],
      undefined,
    ],
    ['in flight with resumeAt', [metric()], [result({ measurements: [inFlight(20)] })], 10, [], 20],
    [
      'two metrics: the earliest wins',
      [metric({ name: 'a', interval: '5s' }), metric({ name: 'b', interval: '3s' })],
      [
        result({ count: 1, measurements: [done('Successful', 10)] }, 'a'),
        result({ count: 1, measurements: [done('Successful', 10)] }, 'b'),
      ],
      13,
      ['b'],
      13,
    ],
  ] as Array<[string, Metric[], MetricResult[], number, string[], number | undefined]>)(
    '%s',
    (_n, metrics, results, now, tasks, next) => {
      const r = run(metrics, results);
      expect(due(r, now)).toEqual(tasks);
      expect(nextIn(r)).toBe(next);
    },
  );

  it('a terminating run takes no new measurement and ends those in flight at once', () => {
    const r = run(
      [metric({ name: 'a', interval: '1s' }), metric({ name: 'b' })],
      [
        result({ count: 1, measurements: [done('Successful', 1)] }, 'a'),
        result({ measurements: [inFlight(50)] }, 'b'),
      ],
      { terminate: true },
    );
    expect(due(r, 10)).toEqual(['b:resume']);
    expect(nextDueAt(r, runPolicies(r.spec))).toBe(0); // overdue: at once
  });

  it('errors are retried every 10 s without an interval (configurable)', () => {
    const r = run(
      [metric()],
      [result({ error: 1, consecutiveError: 1, measurements: [done('Error', 10)] })],
    );
    expect(nextIn(r, 1000)).toBe(11);
  });
});

describe('recordMeasurement: counted as Argo counts, bounded', () => {
  const p = policy({ interval: '1s' }, { measurementRetention: [{ metricName: 'm', limit: 3 }] });
  it('counts phases; errors count only consecutively', () => {
    let r: MetricResult | undefined;
    const phases: AnalysisPhase[] = [
      'Successful',
      'Error',
      'Error',
      'Failed',
      'Inconclusive',
      'Error',
    ];
    const dropped: Measurement[] = [];
    for (const [i, phase] of phases.entries()) {
      const out = recordMeasurement(r, done(phase, i), p, false);
      r = out.result;
      dropped.push(...out.dropped);
    }
    expect(r).toMatchObject({
      count: 3,
      successful: 1,
      failed: 1,
      inconclusive: 1,
      error: 3,
      consecutiveError: 1,
    });
    expect(r?.measurements?.map((m) => m.phase)).toEqual(['Failed', 'Inconclusive', 'Error']);
    expect(dropped.map((m) => m.phase)).toEqual(['Successful', 'Error', 'Error']);
  });

  it('a measurement in flight is counted when it finishes', () => {
    const started = recordMeasurement(undefined, inFlight(), p, false).result;
    expect(started.count).toBeUndefined();
    const finished = recordMeasurement(started, done('Failed', 20), p, true).result;
    expect(finished).toMatchObject({ count: 1, failed: 1 });
    expect(finished.measurements).toHaveLength(1);
  });
});

describe('assessRun', () => {
  const ok = (name: string): MetricResult =>
    result({ count: 1, successful: 1, measurements: [done('Successful')] }, name);
  const bad = (name: string, phase: AnalysisPhase, msg = 'why'): MetricResult => {
    const key =
      (
        { Failed: 'failed', Inconclusive: 'inconclusive', Error: 'error' } as Record<string, string>
      )[phase] ?? 'x';
    return result(
      {
        count: 1,
        [key]: 5,
        consecutiveError: phase === 'Error' ? 5 : 0,
        measurements: [done(phase, 10, msg)],
      },
      name,
    );
  };
  it.each([
    ['no metric measured yet', ['a'], [], {}, 'Running'],
    ['all successful', ['a', 'b'], [ok('a'), ok('b')], {}, 'Successful'],
    ['one still running', ['a', 'b'], [ok('a')], {}, 'Running'],
    ['failed beats error', ['a', 'b'], [bad('a', 'Error'), bad('b', 'Failed')], {}, 'Failed'],
    [
      'error beats inconclusive',
      ['a', 'b'],
      [bad('a', 'Inconclusive'), bad('b', 'Error')],
      {},
      'Error',
    ],
    [
      'a failure ends the run although others have not finished',
      ['a', 'b'],
      [bad('a', 'Failed')],
      {},
      'Failed',
    ],
    [
      'a dry-run failure does not fail the run',
      ['a', 'b'],
      [bad('a', 'Failed'), ok('b')],
      { dryRun: [{ metricName: 'a' }] },
      'Successful',
    ],
    ['terminated: what it has', ['a', 'b'], [ok('a')], { terminate: true }, 'Successful'],
    ['terminated before any measurement', ['a'], [], { terminate: true }, 'Successful'],
  ] as Array<[string, string[], MetricResult[], Partial<RunState['spec']>, AnalysisPhase]>)(
    '%s',
    (_n, names, results, extra, phase) => {
      const r = run(
        names.map((name) => metric({ name, interval: '1s', count: 1 })),
        results,
        extra,
      );
      expect(assessRun(r, runPolicies(r.spec)).phase).toBe(phase);
    },
  );

  it('says which metric ended the run, why, and what the last measurement said', () => {
    const r = run(
      [metric({ name: 'success-rate' })],
      [bad('success-rate', 'Failed', 'result [0.91] does not satisfy result[0] >= 0.99')],
    );
    const a = assessRun(r, runPolicies(r.spec));
    expect(a.message).toBe(
      'metric "success-rate" assessed Failed due to failed (5) > failureLimit (0): result [0.91] does not satisfy result[0] >= 0.99',
    );
    expect(a.metricResults[0]).toMatchObject({
      phase: 'Failed',
      message: 'result [0.91] does not satisfy result[0] >= 0.99',
    });
    expect(a.runSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 });
  });

  it("an outage ends in Error with the provider's message, never Failed", () => {
    const r = run(
      [metric({ name: 'p' })],
      [bad('p', 'Error', 'Prometheus unreachable at http://127.0.0.1:9/: connect ECONNREFUSED')],
    );
    const a = assessRun(r, runPolicies(r.spec));
    expect(a.phase).toBe('Error');
    expect(a.message).toContain(
      'consecutive errors (5) > consecutiveErrorLimit (4): Prometheus unreachable',
    );
  });

  it('terminated by request says so', () => {
    const r = run([metric({ name: 'a', interval: '1s' })], [ok('a')], { terminate: true });
    expect(assessRun(r, runPolicies(r.spec)).message).toBe('run terminated');
  });
});
