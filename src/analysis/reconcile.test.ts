/**
 * One step of a run with scripted providers (no cluster): what is measured, recorded and
 * scheduled, secrets kept out of messages, invalid specs ended at once, ended runs left alone.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisRun, AnalysisRunSpec, Metric } from '../api/analysis.ts';
import type { Kube } from '../kube/api.ts';
import {
  ProviderError,
  type Provider,
  type ProviderResult,
  type Providers,
} from './providers/index.ts';
import { stepRun, type StepDeps } from './reconcile.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function scripted(answers: ProviderResult[], seen: string[] = []): Provider {
  return {
    measure(metric: Metric): Promise<ProviderResult> {
      seen.push(metric.provider.web?.url ?? '');
      return Promise.resolve(answers.shift() ?? { kind: 'value', value: 1 });
    },
  };
}

function deps(web: Provider, clock: { now: number }): StepDeps {
  const providers: Providers = { prometheus: web, web, job: () => web };
  return {
    kube: {} as Kube, // only the job provider talks to Kubernetes (e2e tests cover it)
    providers,
    jobs: () => undefined,
    secret: (_ns, name, key) => Promise.resolve(name === 'token' && key === 'v' ? 's3cret' : ''),
    now: () => clock.now,
  };
}

const run = (spec: Partial<AnalysisRunSpec>, status?: AnalysisRun['status']): AnalysisRun => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AnalysisRun',
  metadata: { name: 'r', namespace: 'ns', uid: 'u' },
  spec: { metrics: [], ...spec },
  ...(status ? { status } : {}),
});
const web = (extra: Partial<Metric> = {}): Metric => ({
  name: 'm',
  interval: '5s',
  count: 2,
  successCondition: 'result == 1',
  provider: { web: { url: 'http://x/{{args.path}}' } },
  ...extra,
});
const signal = new AbortController().signal;

describe('stepRun', () => {
  it('measures, records, and comes back when the next measurement is due', async () => {
    const clock = { now: T0 };
    const seen: string[] = [];
    const provider = scripted(
      [
        { kind: 'value', value: 1 },
        { kind: 'value', value: 1 },
      ],
      seen,
    );
    let r = run({ metrics: [web()], args: [{ name: 'path', value: 'health' }] });
    const first = await stepRun(r, deps(provider, clock), signal);
    expect(seen).toEqual(['http://x/health']);
    expect(first.status).toMatchObject({ phase: 'Running', startedAt: new Date(T0).toISOString() });
    expect(first.status.metricResults?.[0]).toMatchObject({
      count: 1,
      successful: 1,
      phase: 'Running',
    });
    expect(first.requeueAfterMs).toBe(5000);

    r = { ...r, status: first.status };
    clock.now = T0 + 2000;
    const early = await stepRun(r, deps(provider, clock), signal);
    expect(seen).toHaveLength(1);
    expect(early.requeueAfterMs).toBe(3000);

    clock.now = T0 + 5000;
    const second = await stepRun(r, deps(provider, clock), signal);
    expect(second.status).toMatchObject({
      phase: 'Successful',
      runSummary: { count: 1, successful: 1 },
    });
    expect(second.requeueAfterMs).toBeUndefined();
  });

  it('an outage is an Error measurement with its kind, retried at the interval', async () => {
    const clock = { now: T0 };
    const down = scripted([
      {
        kind: 'error',
        error: new ProviderError(
          'Unreachable',
          'web metric endpoint unreachable at http://x/: connect ECONNREFUSED',
        ),
      },
    ]);
    const step = await stepRun(
      run({ metrics: [web({ provider: { web: { url: 'http://x/' } } })] }),
      deps(down, clock),
      signal,
    );
    expect(step.status.phase).toBe('Running');
    expect(step.status.metricResults?.[0]?.measurements?.[0]).toMatchObject({
      phase: 'Error',
      metadata: { errorKind: 'Unreachable' },
    });
    expect(step.requeueAfterMs).toBe(5000);
  });

  it('secret argument values never reach a message', async () => {
    const clock = { now: T0 };
    const leaky = scripted([
      {
        kind: 'error',
        error: new ProviderError('BadResponse', 'http://x/s3cret answered HTTP 500'),
      },
    ]);
    const step = await stepRun(
      run({
        metrics: [web({ provider: { web: { url: 'http://x/{{args.token}}' } } })],
        args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'token', key: 'v' } } }],
      }),
      deps(leaky, clock),
      signal,
    );
    expect(step.status.metricResults?.[0]?.measurements?.[0]?.message).toBe(
      'http://x/***** answered HTTP 500',
    );
  });

  it('a spec that cannot run ends in Error at once', async () => {
    const step = await stepRun(run({ metrics: [web()] }), deps(scripted([]), { now: T0 }), signal);
    expect(step.status).toMatchObject({
      phase: 'Error',
      message: expect.stringContaining(
        'analysis spec invalid: metric m uses {{args.path}}',
      ) as string,
    });
  });

  it('a run that ended is left alone (no measurement, no requeue)', async () => {
    const seen: string[] = [];
    const ended = run({ metrics: [web()] }, { phase: 'Failed', message: 'x', metricResults: [] });
    const step = await stepRun(ended, deps(scripted([], seen), { now: T0 }), signal);
    expect(seen).toEqual([]);
    expect(step.status).toBe(ended.status);
    expect(step.requeueAfterMs).toBeUndefined();
  });
});
