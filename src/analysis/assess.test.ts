/**
 * Argo Rollouts' analysis rules as tables: result mapping (judge), metric policies with their
 * defaults, when measurements are due, how they are counted and bounded, and the phases of
 * metrics and runs.
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
import { judge } from './judge.ts';
import { metricPolicy, runPolicies, type MetricPolicy } from './policy.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

describe("judge: Argo's result mapping", () => {
  const S = 'result[0] >= 0.99';
  const F = 'result[0] < 0.9';
  it.each([
    ['no conditions', {}, [0.5], 'Successful', undefined],
    ['success only, true', { successCondition: S }, [0.995], 'Successful', undefined],
    [
      'success only, false',
      { successCondition: S },
      [0.91],
      'Failed',
      'result [0.91] does not satisfy result[0] >= 0.99',
    ],
    ['failure only, false', { failureCondition: F }, [0.95], 'Successful', undefined],
    [
      'failure only, true',
      { failureCondition: F },
      [0.5],
      'Failed',
      'result [0.5] meets failureCondition result[0] < 0.9',
    ],
    [
      'both, success true',
      { successCondition: S, failureCondition: F },
      [1],
      'Successful',
      undefined,
    ],
    [
      'both, failure true',
      { successCondition: S, failureCondition: F },
      [0.5],
      'Failed',
      'result [0.5] meets failureCondition result[0] < 0.9',
    ],
    [
      'both, neither',
      { successCondition: S, failureCondition: F },
      [0.95],
      'Inconclusive',
      'result [0.95] meets neither successCondition result[0] >= 0.99 nor failureCondition result[0] < 0.9',
    ],
    [
      'both true: failure wins',
      { successCondition: 'result > 0', failureCondition: 'result > 0' },
      1,
      'Failed',
      'result 1 meets failureCondition result > 0',
    ],
    [
      'empty result',
      { successCondition: S },
      [],
      'Error',
      'cannot evaluate result[0] >= 0.99 on result []: index 0 is out of range (length 0) at 7',
    ],
    [
      'failure condition cannot evaluate',
      { successCondition: 'true', failureCondition: 'result.x > 1' },
      5,
      'Error',
      "cannot evaluate result.x > 1 on result 5: cannot read field 'x' of number at 7",
    ],
    [
      'not a boolean',
      { successCondition: 'result' },
      0.5,
      'Error',
      'condition must be true or false, got number',
    ],
    [
      'NaN is not >= 0.99',
      { successCondition: 'result[0] >= 0.99' },
      [NaN],
      'Failed',
      'result [NaN] does not satisfy result[0] >= 0.99',
    ],
    [
      'a multi-line condition reads as one line',
      { successCondition: 'len(result) > 0\n  && result[0] > 1\n' },
      [0],
      'Failed',
      'result [0] does not satisfy len(result) > 0 && result[0] > 1',
    ],
  ] as Array<
    [
      string,
      Pick<Metric, 'successCondition' | 'failureCondition'>,
      never,
      AnalysisPhase,
      string | undefined,
    ]
  >)('%s', (_name, conditions, value, phase, message) => {
    const j = judge(value, conditions);
    expect(j.phase).toBe(phase);
    if (message === undefined) expect(j.message).toBeUndefined();
    else expect(j.message).toContain(message);
  });
});

const metric = (m: Partial<Metric> = {}): Metric => ({
  name: 'm',
  provider: { web: { url: 'http://127.0.0.1:1/' } },
  ...m,
});

describe('metricPolicy: defaults and validation', () => {
  it.each([
    [
      'defaults: measure once',
      {},
      {
        count: 1,
        intervalMs: undefined,
        failureLimit: 0,
        inconclusiveLimit: 0,
        consecutiveErrorLimit: 4,
        retention: 10,
        dryRun: false,
        initialDelayMs: 0,
      },
    ],
    [
      'interval without count: unbounded',
      { interval: '30s' },
      { count: undefined, intervalMs: 30_000 },
    ],
    ['count 0 is unset', { interval: '1m', count: 0 }, { count: undefined, intervalMs: 60_000 }],
    ['count as a string (from an argument)', { interval: '1s', count: '5' }, { count: 5 }],
    [
      'limits as strings',
      { interval: '1s', count: 5, failureLimit: '2', consecutiveErrorLimit: '-1' },
      { failureLimit: 2, consecutiveErrorLimit: -1 },
    ],
    ['initialDelay', { initialDelay: '1m30s' }, { initialDelayMs: 90_000 }],
    [
      'sub-second durations',
      { interval: '500ms', initialDelay: '1.5s' },
      { intervalMs: 500, initialDelayMs: 1500 },
    ],
  ] as Array<[string, Partial<Metric>, Partial<MetricPolicy>]>)('%s', (_n, m, want) => {
    expect(metricPolicy(metric(m), {})).toMatchObject(want);
  });

  it('dry-run and retention by name or .*', () => {
    const spec = {
      dryRun: [{ metricName: 'm' }],
      measurementRetention: [{ metricName: '.*', limit: 3 }],
    };
    expect(metricPolicy(metric(), spec)).toMatchObject({ dryRun: true, retention: 3 });
    expect(metricPolicy(metric({ name: 'other' }), { dryRun: [{ metricName: 'm' }] }).dryRun).toBe(
      false,
    );
  });

  it.each([
    ['interval: 30', { interval: '30' }, 'metric m: interval: "30" is not a duration'],
    [
      'initialDelay: soon',
      { initialDelay: 'soon' },
      'metric m: initialDelay: "soon" is not a duration',
    ],
    ['count > 1 without interval', { count: 3 }, 'metric m: count 3 needs an interval'],
    [
      'count below failureLimit',
      { interval: '1s', count: 1, failureLimit: 2 },
      'count 1 is less than failureLimit 2',
    ],
    ['count not a number', { count: 'three' }, 'metric m: count "three" is not an integer'],
    ['failureLimit -2', { failureLimit: -2 }, 'failureLimit -2 must be -1 (unlimited) or more'],
    ['no provider', { provider: {} }, 'metric m: no provider'],
    [
      'two providers',
      { provider: { web: { url: 'x' }, job: { spec: {} } } },
      'more than one provider (web, job)',
    ],
    [
      'bad condition',
      { successCondition: 'result >' },
      'metric m: successCondition "result >": unexpected end of condition at 9',
    ],
  ] as Array<[string, Partial<Metric>, string]>)('invalid: %s', (_n, m, message) => {
    expect(() => metricPolicy(metric(m), {})).toThrow(message);
  });

  it('duplicate metric names', () => {
    expect(() => runPolicies({ metrics: [metric(), metric()] })).toThrow(
      expect.objectContaining({
        code: 'DuplicateMetric',
        message: 'metric m is defined twice',
      }) as Error,
    );
  });
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
