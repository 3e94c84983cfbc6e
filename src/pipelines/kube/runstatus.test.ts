import { describe, expect, it } from 'vitest';
import type { TaskRun, TaskRunStatus } from '../../api/pipeline.ts';
import {
  canRetry,
  failed,
  retried,
  started,
  succeededCondition,
  timeoutOf,
  withCondition,
} from './runstatus.ts';

const tr = (spec: Partial<TaskRun['spec']> = {}): TaskRun => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TaskRun',
  metadata: { name: 'r', namespace: 'ci' },
  spec,
});

describe('TaskRun status', () => {
  it('starts once: startTime and Unknown/Started', () => {
    const s = started(undefined, 't0');
    expect(s.startTime).toBe('t0');
    expect(succeededCondition(s)).toMatchObject({ status: 'Unknown', reason: 'Started' });
    expect(started(s, 't5')).toBe(s);
  });

  it('moves lastTransitionTime only when the condition’s status changes', () => {
    const a = withCondition({}, 'Unknown', 'Pending', '', 't0');
    const b = withCondition(a, 'Unknown', 'Running', '', 't1');
    const c = withCondition(b, 'False', 'Failed', 'x', 't2');
    expect(succeededCondition(b)?.lastTransitionTime).toBe('t0');
    expect(succeededCondition(c)?.lastTransitionTime).toBe('t2');
  });

  it('fails: completionTime, and the steps that did not end are Skipped after a failed step', () => {
    const s: TaskRunStatus = {
      startTime: 't0',
      steps: [
        { name: 'a', terminated: { exitCode: 2 } },
        { name: 'b', waiting: { reason: 'PodInitializing' } },
      ],
    };
    const f = failed(s, 'Failed', 'step "a" exited with code 2', 't3');
    expect(f.completionTime).toBe('t3');
    expect(succeededCondition(f)).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(f.steps?.[1]?.terminationReason).toBe('Skipped');
    expect(failed(s, 'TaskRunTimeout', '', 't3').steps?.[1]?.terminationReason).toBe(
      'TaskRunTimeout',
    );
  });

  it.each<[string, number | undefined, string, number, boolean]>([
    ['retries left', 2, 'Failed', 1, true],
    ['no retries left', 2, 'Failed', 2, false],
    ['no retries', undefined, 'Failed', 0, false],
    ['a timeout is retried', 1, 'TaskRunTimeout', 0, true],
    ['a cancel is not', 3, 'TaskRunCancelled', 0, false],
    ['a validation failure is not', 3, 'TaskRunValidationFailed', 0, false],
  ])('canRetry: %s', (_, retries, reason, done, want) => {
    const s: TaskRunStatus = { retriesStatus: Array.from({ length: done }, () => ({})) };
    expect(canRetry(tr(retries === undefined ? {} : { retries }), s, reason as never)).toBe(want);
  });

  it('archives a failed attempt and starts the next', () => {
    const f = failed(
      { startTime: 't0', podName: 'r-pod', taskSpec: { steps: [] } },
      'Failed',
      'boom',
      't1',
    );
    const next = retried(f, 't2');
    expect(next.retriesStatus).toEqual([
      { conditions: f.conditions, podName: 'r-pod', startTime: 't0', completionTime: 't1' },
    ]);
    expect(next).toMatchObject({ startTime: 't2', taskSpec: { steps: [] } });
    expect(next.podName).toBeUndefined();
    expect(next.completionTime).toBeUndefined();
    expect(succeededCondition(next)).toMatchObject({
      status: 'Unknown',
      reason: 'ToBeRetried',
      message: 'boom',
    });
  });

  it.each<[string | undefined, number | undefined]>([
    [undefined, 3_600_000],
    ['0', 0],
    ['90s', 90_000],
    ['soon', undefined],
  ])('timeout %s → %s ms', (timeout, ms) => {
    expect(timeoutOf(tr(timeout === undefined ? {} : { timeout }))).toBe(ms);
  });
});
