import { describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../api/pipeline.ts';
import { admit, queuePositions, runState, toRelease, type RunState } from './concurrency.ts';

const run = (name: string, at: string, s: Partial<RunState> = {}): RunState => ({
  name,
  arrived: `2026-01-01T00:00:${at}.000Z`,
  done: false,
  held: false,
  cancelling: false,
  ...s,
});

describe('admit', () => {
  const running = run('a', '01');
  const finished = run('b', '02', { done: true });
  const stopping = run('c', '03', { cancelling: true });
  const cases: Array<[string, Parameters<typeof admit>[0], RunState[], boolean, string[]]> = [
    ['Allow starts at once beside a running run', 'Allow', [running], false, []],
    [
      'CancelPrevious cancels the unfinished runs',
      'CancelPrevious',
      [running, finished],
      false,
      ['a'],
    ],
    ['CancelPrevious does not cancel twice', 'CancelPrevious', [stopping], false, []],
    ['Queue holds behind a running run', 'Queue', [running], true, []],
    ['Queue holds behind a held run', 'Queue', [run('h', '04', { held: true })], true, []],
    ['Queue starts when all are finished', 'Queue', [finished], false, []],
    ['Queue starts when there is none', 'Queue', [], false, []],
  ];
  it.each(cases)('%s', (_n, policy, others, held, cancel) => {
    expect(admit(policy, others)).toEqual({ held, cancel });
  });
});

describe('toRelease', () => {
  it('Queue lets the oldest held run go once nothing runs', () => {
    const runs = [
      run('a', '01', { done: true }),
      run('c', '03', { held: true }),
      run('b', '02', { held: true }),
    ];
    expect(toRelease('Queue', runs)).toEqual(['b']);
  });

  it('Queue lets nothing go while a run runs', () => {
    expect(toRelease('Queue', [run('a', '01'), run('b', '02', { held: true })])).toEqual([]);
  });

  it('ties on arrival go by name', () => {
    const runs = [run('y', '01', { held: true }), run('x', '01', { held: true })];
    expect(toRelease('Queue', runs)).toEqual(['x']);
  });

  it('another policy lets every held run go', () => {
    const runs = [run('a', '01'), run('b', '02', { held: true }), run('c', '03', { held: true })];
    expect(toRelease('Allow', runs)).toEqual(['b', 'c']);
  });
});

describe('queuePositions', () => {
  it('numbers the held runs oldest first', () => {
    const runs = [run('a', '01'), run('c', '03', { held: true }), run('b', '02', { held: true })];
    expect([...queuePositions(runs)]).toEqual([
      ['b', 1],
      ['c', 2],
    ]);
  });
});

describe('runState', () => {
  it('reads held, cancelling and finished runs', () => {
    const pr = (spec: PipelineRun['spec'], status?: string): PipelineRun => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: {
        name: 'r',
        namespace: 'n',
        creationTimestamp: '2026-01-01T00:00:00Z',
        annotations: { 'sluice.dev/queued-at': '2026-01-01T00:00:00.123Z' },
      },
      spec,
      ...(status
        ? { status: { conditions: [{ type: 'Succeeded', status: status as 'True' }] } }
        : {}),
    });
    expect(runState(pr({ status: 'PipelineRunPending' }))).toMatchObject({
      held: true,
      cancelling: false,
      arrived: '2026-01-01T00:00:00.123Z',
    });
    expect(runState(pr({ status: 'Cancelled' }))).toMatchObject({ held: false, cancelling: true });
    expect(runState(pr({}, 'False')).done).toBe(true);
    expect(runState(pr({}, 'Unknown')).done).toBe(false);
  });
});
