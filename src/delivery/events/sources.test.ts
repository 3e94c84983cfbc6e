/** What each source detects on objects in named states, and the events built from them. */
import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../../api/application.ts';
import type { PipelineRun, PipelineRunStatus } from '../../api/pipeline.ts';
import type { Rollout, RolloutStatus } from '../../api/rollout.ts';
import { eventsOf } from './event.ts';
import { sampleEvent } from './sample.ts';
import { applications, pipelineRuns, promotions, rollouts } from './sources/index.ts';
import { EVENT_TYPES, type Detection } from './types.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const SHA = 'a'.repeat(40);

function app(status: ApplicationStatus | undefined, labels: Record<string, string> = {}) {
  const a: Application = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'sluice-system', uid: 'u1', labels },
    spec: {
      source: { repoURL: 'https://git.example.com/org/deploy.git', path: 'web' },
      destination: { namespace: 'shop' },
    },
    ...(status ? { status } : {}),
  };
  return a;
}

const op = (phase: 'Succeeded' | 'Failed' | 'Error' | 'Running', finished = true) => ({
  phase,
  startedAt: '2026-12-01T11:00:00Z',
  ...(finished ? { finishedAt: '2026-12-01T11:00:05Z' } : {}),
  message: `${phase.toLowerCase()} message`,
  syncResult: { revision: SHA, resources: [], counts: { configured: 2 } },
});

const types = (ds: Detection[]) => ds.map((d) => d.type);

describe('applications', () => {
  const cases: Array<{ name: string; status?: ApplicationStatus; want: string[] }> = [
    { name: 'no status', want: [] },
    { name: 'an operation running', status: { operationState: op('Running', false) }, want: [] },
    { name: 'succeeded', status: { operationState: op('Succeeded') }, want: ['sync-succeeded'] },
    { name: 'failed', status: { operationState: op('Failed') }, want: ['sync-failed'] },
    { name: 'error', status: { operationState: op('Error') }, want: ['sync-failed'] },
    {
      name: 'degraded after a sync',
      status: { operationState: op('Succeeded'), health: { status: 'Degraded', message: 'x' } },
      want: ['sync-succeeded', 'health-degraded'],
    },
    { name: 'healthy', status: { health: { status: 'Healthy' } }, want: [] },
  ];
  it.each(cases)('$name', ({ status, want }) => {
    expect(types(applications.detect(app(status), NOW))).toEqual(want);
  });

  it('keys a sync by its start and times it by its end; the event names app, env and commit', () => {
    const [e] = eventsOf(applications, app({ operationState: op('Failed') }), NOW);
    expect(e?.detection).toMatchObject({
      key: '2026-12-01T11:00:00Z',
      time: '2026-12-01T11:00:05Z',
    });
    expect(e?.event).toMatchObject({
      type: 'sync-failed',
      severity: 'error',
      outcome: 'failure',
      app: { namespace: 'sluice-system', name: 'web' },
      environment: 'shop',
      revision: SHA,
      repoURL: 'https://git.example.com/org/deploy.git',
      commitURL: `https://git.example.com/org/deploy/commit/${SHA}`,
      message: 'failed message',
      details: { changed: '2', phase: 'Failed' },
    });
  });

  it('takes the environment from the label, and the same id in every process', () => {
    const a = app({ operationState: op('Succeeded') }, { 'sluice.dev/environment': 'prod' });
    const [x] = eventsOf(applications, a, NOW);
    const [y] = eventsOf(applications, a, new Date('2027-01-01T00:00:00Z'));
    expect(x?.event.environment).toBe('prod');
    expect(x?.event.id).toBe(y?.event.id);
  });

  it('a degraded app is a state (rearm) timed by the Ready condition', () => {
    const status: ApplicationStatus = {
      health: { status: 'Degraded' },
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'Degraded',
          message: 'Deployment/web is degraded',
          lastTransitionTime: '2026-12-01T10:00:00Z',
        },
      ],
    };
    const [d] = applications.detect(app(status), NOW);
    expect(d).toMatchObject({ rearm: true, time: '2026-12-01T10:00:00Z', key: 'Degraded' });
    expect(d?.message).toBe('Deployment/web is degraded');
  });
});

function rollout(status: RolloutStatus | undefined, paused = false): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'web',
      namespace: 'shop',
      annotations: { 'sluice.dev/tracking-id': 'sluice-system_web:sluice.dev/Rollout:shop/web' },
    },
    spec: { ...(paused ? { paused } : {}), strategy: { canary: { steps: [] } } },
    ...(status ? { status } : {}),
  };
}

const complete = {
  type: 'Progressing',
  status: 'True' as const,
  reason: 'NewReplicaSetAvailable',
  message: 'the rollout is complete',
  lastUpdateTime: '2026-12-01T11:30:00Z',
};

describe('rollouts', () => {
  const cases: Array<{ name: string; ro: Rollout; want: string[]; key?: string }> = [
    { name: 'no status', ro: rollout(undefined), want: [] },
    {
      name: 'at a pause step',
      ro: rollout({
        phase: 'Paused',
        pauseConditions: [
          { reason: 'CanaryPauseStep', startTime: '2026-12-01T11:00:00Z' },
          { reason: 'CanaryPauseStep', startTime: '2026-12-01T11:05:00Z' },
        ],
      }),
      want: ['rollout-paused'],
      key: 'CanaryPauseStep@2026-12-01T11:05:00Z',
    },
    {
      name: 'paused by a person',
      ro: rollout({ phase: 'Paused' }, true),
      want: ['rollout-paused'],
      key: 'spec.paused',
    },
    {
      name: 'aborted',
      ro: rollout({ phase: 'Degraded', abort: true, abortedAt: '2026-12-01T11:10:00Z' }),
      want: ['rollout-aborted'],
      key: '2026-12-01T11:10:00Z',
    },
    {
      name: 'completed',
      ro: rollout({ phase: 'Healthy', stableRS: 'abc123', conditions: [complete] }),
      want: ['rollout-completed'],
      key: 'abc123',
    },
    {
      name: 'healthy without the completion reason (still waiting for pods)',
      ro: rollout({
        phase: 'Healthy',
        stableRS: 'abc123',
        conditions: [{ ...complete, reason: 'ReplicaSetUpdated' }],
      }),
      want: [],
    },
  ];
  it.each(cases)('$name', ({ ro, want, key }) => {
    const ds = rollouts.detect(ro, NOW);
    expect(types(ds)).toEqual(want);
    if (key) expect(ds[0]?.key).toBe(key);
  });

  it('names the Application from the tracking id', () => {
    const ro = rollout({ phase: 'Healthy', stableRS: 'h', conditions: [complete] });
    const [e] = eventsOf(rollouts, ro, NOW);
    expect(e?.event.app).toEqual({ namespace: 'sluice-system', name: 'web' });
    expect(e?.event.environment).toBe('shop');
    expect(e?.detection.time).toBe('2026-12-01T11:30:00Z');
  });
});

function run(
  status: PipelineRunStatus | undefined,
  o: { annotations?: Record<string, string>; params?: Array<{ name: string; value: string }> } = {},
): PipelineRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: {
      name: 'ci-x',
      namespace: 'team',
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: { pipelineRef: { name: 'ci' }, ...(o.params ? { params: o.params } : {}) },
    ...(status ? { status } : {}),
  };
}

const finished = (status: 'True' | 'False' | 'Unknown', reason: string): PipelineRunStatus => ({
  startTime: '2026-12-01T11:00:00Z',
  completionTime: '2026-12-01T11:01:30Z',
  conditions: [{ type: 'Succeeded', status, reason, message: `${reason} message` }],
});

describe('pipelineRuns', () => {
  const cases: Array<{ name: string; status?: PipelineRunStatus; want: string[] }> = [
    { name: 'not started', want: [] },
    { name: 'running', status: finished('Unknown', 'Running'), want: [] },
    { name: 'succeeded', status: finished('True', 'Succeeded'), want: ['pipelinerun-succeeded'] },
    { name: 'failed', status: finished('False', 'Failed'), want: ['pipelinerun-failed'] },
    {
      name: 'timed out',
      status: finished('False', 'PipelineRunTimeout'),
      want: ['pipelinerun-failed'],
    },
    { name: 'cancelled', status: finished('False', 'Cancelled'), want: ['pipelinerun-failed'] },
  ];
  it.each(cases)('$name', ({ status, want }) => {
    expect(types(pipelineRuns.detect(run(status), NOW))).toEqual(want);
  });

  it('reads the commit from the annotations first, then the params', () => {
    const byParam = run(finished('False', 'Failed'), {
      params: [
        { name: 'revision', value: SHA },
        { name: 'repo-url', value: 'https://git.example.com/org/app.git' },
      ],
    });
    const [p] = eventsOf(pipelineRuns, byParam, NOW);
    expect(p?.event).toMatchObject({
      revision: SHA,
      repoURL: 'https://git.example.com/org/app.git',
      reason: 'Failed',
      details: { pipeline: 'ci', durationSeconds: '90' },
    });
    const byAnnotation = run(finished('True', 'Succeeded'), {
      annotations: { 'sluice.dev/revision': 'b'.repeat(40) },
      params: [{ name: 'revision', value: SHA }],
    });
    expect(eventsOf(pipelineRuns, byAnnotation, NOW)[0]?.event.revision).toBe('b'.repeat(40));
  });
});

describe('sampleEvent', () => {
  it.each(EVENT_TYPES.map((t) => ({ t })))('$t has its type, kind and a commit', ({ t }) => {
    const e = sampleEvent(t, { namespace: 'team', now: NOW });
    expect(e.type).toBe(t);
    expect(e.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(e.details['sample']).toBe('true');
  });
});

describe('promotions', () => {
  const promo = (
    gates: Array<{ name: 'soak' | 'analysis' | 'approval'; state: 'Pending' | 'Passed' }>,
    phase = 'Waiting' as const,
  ) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Promotion',
    metadata: { name: 'web', namespace: 'delivery', uid: 'p1' },
    spec: { image: 'localhost:5000/web', environments: [] },
    status: {
      environments: [
        { name: 'staging' },
        {
          name: 'prod',
          candidate: {
            image: 'localhost:5000/web@sha256:ab',
            version: 'sha256:ab',
            phase,
            gates,
            since: '2026-12-01T11:59:00Z',
          },
        },
      ],
    },
  });

  it.each([
    [
      'only the approval pending',
      [
        { name: 'soak' as const, state: 'Passed' as const },
        { name: 'approval' as const, state: 'Pending' as const },
      ],
      1,
    ],
    [
      'the soak still pending too',
      [
        { name: 'soak' as const, state: 'Pending' as const },
        { name: 'approval' as const, state: 'Pending' as const },
      ],
      0,
    ],
    ['no approval gate', [{ name: 'soak' as const, state: 'Pending' as const }], 0],
  ])('%s', (_what, gates, count) => {
    const found = promotions.detect(promo(gates), NOW);
    expect(found).toHaveLength(count);
    if (count)
      expect(found[0]).toMatchObject({
        type: 'promotion-awaiting-approval',
        key: 'prod@sha256:ab',
        time: '2026-12-01T11:59:00Z',
        details: {
          environment: 'prod',
          approve: 'sluice promote approve prod --promotion web -n delivery',
        },
      });
  });
});
