/** Records from PipelineRuns and TaskRuns: status folding, durations, steps, attempts. */
import { describe, expect, it } from 'vitest';
import type { PipelineRun, RunCondition, TaskRun } from '../../api/pipeline.ts';
import { pipelineRunRecord, statusOf, taskRecord, taskRunRecord } from './records.ts';

const cond = (status: RunCondition['status'], reason: string): RunCondition[] => [
  { type: 'Succeeded', status, reason },
];

describe('statusOf', () => {
  it.each([
    [undefined, undefined, 'Pending'],
    [cond('Unknown', 'Pending'), undefined, 'Pending'],
    [cond('Unknown', 'PipelineRunPending'), undefined, 'Pending'],
    [cond('Unknown', 'Queued'), undefined, 'Pending'],
    [cond('Unknown', 'Running'), '2026-12-01T00:00:00Z', 'Running'],
    [cond('Unknown', 'Pending'), '2026-12-01T00:00:00Z', 'Running'],
    [cond('True', 'Succeeded'), '2026-12-01T00:00:00Z', 'Succeeded'],
    [cond('True', 'Completed'), '2026-12-01T00:00:00Z', 'Succeeded'],
    [cond('False', 'Failed'), '2026-12-01T00:00:00Z', 'Failed'],
    [cond('False', 'PipelineRunTimeout'), '2026-12-01T00:00:00Z', 'Failed'],
    [cond('False', 'Cancelled'), '2026-12-01T00:00:00Z', 'Cancelled'],
    [cond('False', 'TaskRunCancelled'), '2026-12-01T00:00:00Z', 'Cancelled'],
    [cond('False', 'StoppedRunFinally'), '2026-12-01T00:00:00Z', 'Cancelled'],
  ] as const)('%j (started %s) -> %s', (conditions, start, want) => {
    expect(statusOf(conditions, start).status).toBe(want);
  });
});

describe('pipelineRunRecord', () => {
  it('takes identity, pipeline, reason, times and duration from the object', () => {
    const pr: PipelineRun = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: {
        name: 'ci-x',
        namespace: 'ci',
        uid: 'u-1',
        creationTimestamp: '2026-12-01T10:00:00Z',
      },
      spec: { pipelineRef: { name: 'build' }, params: [{ name: 'rev', value: 'abc' }] },
      status: {
        conditions: [
          { type: 'Succeeded', status: 'False', reason: 'Failed', message: 'task t failed' },
        ],
        startTime: '2026-12-01T10:00:01Z',
        completionTime: '2026-12-01T10:01:31Z',
        results: [{ name: 'digest', value: 'sha256:1' }],
      },
    };
    expect(pipelineRunRecord(pr)).toEqual({
      uid: 'u-1',
      kind: 'PipelineRun',
      namespace: 'ci',
      name: 'ci-x',
      pipeline: 'build',
      status: 'Failed',
      reason: 'Failed',
      message: 'task t failed',
      createdAt: '2026-12-01T10:00:00Z',
      startTime: '2026-12-01T10:00:01Z',
      completionTime: '2026-12-01T10:01:31Z',
      durationMs: 90_000,
      params: [{ name: 'rev', value: 'abc' }],
      results: [{ name: 'digest', value: 'sha256:1' }],
    });
  });
});

describe('taskRecord / taskRunRecord', () => {
  const tr: TaskRun = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'TaskRun',
    metadata: { name: 'ci-x-build', namespace: 'ci', uid: 't-1' },
    spec: { taskRef: { name: 'compile' } },
    status: {
      conditions: cond('False', 'Failed'),
      startTime: '2026-12-01T10:00:00Z',
      completionTime: '2026-12-01T10:00:10Z',
      retriesStatus: [{ podName: 'p-1' }, { podName: 'p-2' }],
      steps: [
        {
          name: 'fetch',
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: '2026-12-01T10:00:01Z',
            finishedAt: '2026-12-01T10:00:03Z',
          },
        },
        {
          name: 'make',
          terminated: {
            exitCode: 2,
            reason: 'Error',
            startedAt: '2026-12-01T10:00:03Z',
            finishedAt: '2026-12-01T10:00:09Z',
          },
        },
        { name: 'never', waiting: { reason: 'PodInitializing' } },
      ],
    },
  };

  it('records each step with its exit code and duration, and the attempts', () => {
    const t = taskRecord(tr, 'u-1', 'build');
    expect(t).toMatchObject({
      runUid: 'u-1',
      taskRun: 'ci-x-build',
      task: 'build',
      status: 'Failed',
      attempts: 3,
      durationMs: 10_000,
    });
    expect(t.steps).toEqual([
      {
        name: 'fetch',
        exitCode: 0,
        reason: 'Completed',
        startTime: '2026-12-01T10:00:01Z',
        completionTime: '2026-12-01T10:00:03Z',
        durationMs: 2000,
      },
      {
        name: 'make',
        exitCode: 2,
        reason: 'Error',
        startTime: '2026-12-01T10:00:03Z',
        completionTime: '2026-12-01T10:00:09Z',
        durationMs: 6000,
      },
      {
        name: 'never',
        exitCode: undefined,
        reason: 'PodInitializing',
        startTime: undefined,
        completionTime: undefined,
        durationMs: undefined,
      },
    ]);
  });

  it('records a standalone TaskRun as a run of its Task', () => {
    expect(taskRunRecord(tr)).toMatchObject({
      kind: 'TaskRun',
      pipeline: 'compile',
      uid: 't-1',
      status: 'Failed',
    });
    expect(taskRecord(tr, 't-1').task).toBe('compile');
  });
});
