/** Metric policies: Argo Rollouts' defaults, and specs that cannot run, named. */
import { describe, expect, it } from 'vitest';
import type { Metric } from '../api/analysis.ts';
import { metricPolicy, runPolicies, type MetricPolicy } from './policy.ts';

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
      'bad jsonPath',
      { provider: { web: { url: 'x', jsonPath: '$.a[' } } },
      'metric m: jsonPath: cannot read path "$.a["',
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
