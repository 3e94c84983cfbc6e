/**
 * A run's life past the happy path: retries, the three timeouts, and the four `spec.status`
 * values (Cancelled, CancelledRunFinally, StoppedRunFinally, PipelineRunPending) — with the
 * condition reasons and cancel messages Tekton uses.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineRunSpec, PipelineSpec } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { at, child, input, run, task } from './testing/fixtures.ts';
import type { ChildState } from './types.ts';

const started = (s: { start: { name: string; attempt: number }[] }) =>
  s.start.map((c) => `${c.name}#${c.attempt}`);

describe('retries', () => {
  const spec: PipelineSpec = {
    tasks: [task('flaky', { retries: 2 }), task('next', { runAfter: ['flaky'] })],
  };

  it.each<[string, ChildState[], string[], string]>([
    [
      'a failed first attempt starts the second',
      [child('flaky', 'Failed')],
      ['ci-1-flaky-r1#1'],
      'Running',
    ],
    [
      'a timed-out attempt is retried too',
      [child('flaky', 'Failed', { reason: 'TaskRunTimeout' })],
      ['ci-1-flaky-r1#1'],
      'Running',
    ],
    [
      'the third attempt is the last',
      [child('flaky', 'Failed'), child('flaky', 'Failed', { attempt: 1 })],
      ['ci-1-flaky-r2#2'],
      'Running',
    ],
    [
      'after three failed attempts the task failed',
      [0, 1, 2].map((a) => child('flaky', 'Failed', { attempt: a })),
      [],
      'Failed',
    ],
    [
      'a retry that succeeds lets the next task start',
      [child('flaky', 'Failed'), child('flaky', 'Succeeded', { attempt: 1 })],
      ['ci-1-next#0'],
      'Succeeded',
    ],
    [
      'a cancelled attempt is not retried',
      [child('flaky', 'Failed', { reason: 'TaskRunCancelled' })],
      [],
      'Cancelled',
    ],
  ])('%s', (_, children, start, phase) => {
    const p = plan(input(spec, children));
    expect(started(p)).toEqual(start);
    expect(p.tasks[0]?.phase).toBe(phase);
  });

  it('counts attempts and shows the current child', () => {
    const p = plan(
      input(spec, [child('flaky', 'Failed'), child('flaky', 'Running', { attempt: 1 })]),
    );
    expect(p.tasks[0]).toMatchObject({
      attempts: 2,
      children: ['ci-1-flaky-r1'],
      phase: 'Running',
    });
  });

  it('leaves retries to the child when asked (TaskRun spec.retries)', () => {
    const first = plan({ ...input(spec), options: { retries: 'child' } });
    expect(first.start[0]).toMatchObject({ name: 'ci-1-flaky', retries: 2 });
    const failed = plan({
      ...input(spec, [child('flaky', 'Failed')]),
      options: { retries: 'child' },
    });
    expect(failed.start).toEqual([]);
    expect(failed.tasks[0]?.phase).toBe('Failed');
  });
});

describe('timeouts', () => {
  const spec: PipelineSpec = {
    tasks: [task('slow'), task('after', { runAfter: ['slow'] }), task('quick', { timeout: '30s' })],
    finally: [task('cleanup')],
  };
  const timed = (
    timeouts: NonNullable<PipelineRunSpec['timeouts']>,
    startTime = at(0).toISOString(),
    finallyStartTime?: string,
  ) => run({ timeouts }, { startTime, ...(finallyStartTime ? { finallyStartTime } : {}) });

  it('gives each child its own timeout, else its phase’s budget', () => {
    const s = plan(input(spec, [], { run: timed({ pipeline: '2h', tasks: '90m' }) })).start;
    expect(s.map((c) => [c.name, c.timeout])).toEqual([
      ['ci-1-slow', '1h30m0s'],
      ['ci-1-quick', '30s'],
    ]);
    const none = plan(input(spec, [], { run: timed({ pipeline: '0' }) })).start;
    expect(none.map((c) => c.timeoutMs)).toEqual([0, 30_000]);
  });

  it('asks to be called again at the next deadline', () => {
    const p = plan(input(spec, [], { run: timed({ pipeline: '1h', tasks: '40m' }), now: at(60) }));
    expect(p.requeueAfterMs).toBe(40 * 60_000 - 60_000 + 1);
  });

  it('tasks timeout: running tasks are cancelled, the rest skipped, finally still runs', () => {
    const r = timed({ pipeline: '1h', tasks: '10m', finally: '10m' });
    const p = plan(
      input(spec, [child('slow', 'Running'), child('quick')], { run: r, now: at(601) }),
    );
    expect(p.cancel).toEqual([
      {
        name: 'ci-1-slow',
        pipelineTask: 'slow',
        cause: 'TasksTimeout',
        message: 'TaskRun cancelled as the PipelineRun it belongs to has timed out.',
      },
    ]);
    expect(p.condition).toMatchObject({
      status: 'Unknown',
      reason: 'PipelineRunTimeoutRunningFinally',
    });

    const cancelled = child('slow', 'Failed', {
      reason: 'TaskRunCancelled',
      completionTime: at(602).toISOString(),
    });
    const next = plan(input(spec, [cancelled, child('quick')], { run: r, now: at(603) }));
    expect(next.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['after', 'PipelineRun was stopping'],
    ]);
    expect(next.start.map((s) => s.name)).toEqual(['ci-1-cleanup']);
    expect(next.finallyStartTime).toBe(at(603).toISOString());

    const done = plan(
      input(spec, [cancelled, child('quick'), child('cleanup')], {
        run: timed(
          { pipeline: '1h', tasks: '10m', finally: '10m' },
          at(0).toISOString(),
          at(603).toISOString(),
        ),
        now: at(610),
      }),
    );
    expect(done.done).toBe(true);
    expect(done.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineRunTimeout',
      message: 'PipelineRun "ci-1" failed due to tasks failed to finish within "10m0s"',
    });
  });

  it('tasks finished in time: a finally task running past the tasks clock is no timeout', () => {
    const r = timed(
      { pipeline: '1h', tasks: '10m', finally: '50m' },
      at(0).toISOString(),
      at(300).toISOString(),
    );
    const p = plan(
      input(spec, [child('slow'), child('after'), child('quick'), child('cleanup', 'Running')], {
        run: r,
        now: at(900),
      }),
    );
    expect(p.cancel).toEqual([]);
    expect(p.condition.reason).toBe('Running');
  });

  it('pipeline timeout: everything is cancelled, finally too, and the run ends at once', () => {
    const r = timed({ pipeline: '10m' });
    const p = plan(
      input(spec, [child('slow'), child('after', 'Running'), child('quick')], {
        run: r,
        now: at(601),
      }),
    );
    expect(p.done).toBe(true);
    expect(p.cancel.map((c) => [c.name, c.cause])).toEqual([['ci-1-after', 'PipelineRunTimeout']]);
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineRunTimeout',
      message: 'PipelineRun "ci-1" failed to finish within "10m0s"',
    });
    expect(p.skipped).toEqual([
      { name: 'cleanup', reason: 'PipelineRun timeout has been reached' },
    ]);
  });

  it('a run whose children all ended in time is no timeout, however late it is looked at', () => {
    const ended = (t: string) => child(t, 'Succeeded', { completionTime: at(60).toISOString() });
    const kids = ['slow', 'after', 'quick', 'cleanup'].map(ended);
    const p = plan(input(spec, kids, { run: timed({ pipeline: '10m' }), now: at(3600) }));
    expect(p.condition).toMatchObject({ status: 'True', reason: 'Succeeded' });
    const late = [
      ...kids.slice(0, 3),
      child('cleanup', 'Succeeded', { completionTime: at(700).toISOString() }),
    ];
    expect(
      plan(input(spec, late, { run: timed({ pipeline: '10m' }), now: at(3600) })).condition.reason,
    ).toBe('PipelineRunTimeout');
  });

  it('finally timeout: running finally tasks are cancelled and the run fails', () => {
    const r = timed({ pipeline: '1h', finally: '5m' }, at(0).toISOString(), at(100).toISOString());
    const kids = [child('slow'), child('after'), child('quick'), child('cleanup', 'Running')];
    const p = plan(input(spec, kids, { run: r, now: at(401) }));
    expect(p.cancel.map((c) => [c.name, c.cause])).toEqual([['ci-1-cleanup', 'FinallyTimeout']]);
    const cancelled = child('cleanup', 'Failed', {
      reason: 'TaskRunCancelled',
      completionTime: at(402).toISOString(),
    });
    const done = plan(input(spec, [...kids.slice(0, 3), cancelled], { run: r, now: at(402) }));
    expect(done.condition).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 4 (Failed: 1, Cancelled 0), Skipped: 0',
    });
  });
});

describe('spec.status', () => {
  const spec: PipelineSpec = {
    tasks: [task('a'), task('b'), task('c', { runAfter: ['a'] })],
    finally: [task('cleanup')],
  };
  const kids = [child('a', 'Running'), child('b')];
  const withStatus = (status: NonNullable<PipelineRunSpec['status']>) => run({ status });

  it('Cancelled: every running child is cancelled, finally does not run, the run ends Cancelled', () => {
    const p = plan(input(spec, kids, { run: withStatus('Cancelled') }));
    expect(p.done).toBe(true);
    expect(p.start).toEqual([]);
    expect(p.cancel).toEqual([
      {
        name: 'ci-1-a',
        pipelineTask: 'a',
        cause: 'Cancelled',
        message: 'TaskRun cancelled as the PipelineRun it belongs to has been cancelled.',
      },
    ]);
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'Cancelled',
      message: 'PipelineRun "ci-1" was cancelled',
    });
  });

  it('CancelledRunFinally: running tasks are cancelled, the rest skipped, then finally runs', () => {
    const p = plan(input(spec, kids, { run: withStatus('CancelledRunFinally') }));
    expect(p.cancel.map((c) => c.name)).toEqual(['ci-1-a']);
    expect(p.skipped).toEqual([{ name: 'c', reason: 'PipelineRun was gracefully cancelled' }]);
    expect(p.condition.reason).toBe('CancelledRunningFinally');
    const after = [child('a', 'Failed', { reason: 'TaskRunCancelled' }), child('b')];
    expect(
      plan(input(spec, after, { run: withStatus('CancelledRunFinally') })).start.map((s) => s.name),
    ).toEqual(['ci-1-cleanup']);
    const done = plan(
      input(spec, [...after, child('cleanup')], { run: withStatus('CancelledRunFinally') }),
    );
    expect(done.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'Cancelled',
      message: 'PipelineRun "ci-1" was cancelled',
    });
  });

  it('StoppedRunFinally: running tasks finish, nothing new starts, then finally runs', () => {
    const p = plan(input(spec, kids, { run: withStatus('StoppedRunFinally') }));
    expect(p.cancel).toEqual([]);
    expect(p.skipped).toEqual([{ name: 'c', reason: 'PipelineRun was gracefully stopped' }]);
    expect(p.condition.reason).toBe('StoppedRunningFinally');
    const after = plan(
      input(spec, [child('a'), child('b')], { run: withStatus('StoppedRunFinally') }),
    );
    expect(after.start.map((s) => s.name)).toEqual(['ci-1-cleanup']);
  });

  it('a graceful cancel does not retry', () => {
    const retrying: PipelineSpec = { tasks: [task('a', { retries: 3 })] };
    const p = plan(
      input(retrying, [child('a', 'Failed')], { run: withStatus('CancelledRunFinally') }),
    );
    expect(p.start).toEqual([]);
    expect(p.done).toBe(true);
    expect(p.condition.reason).toBe('Failed');
  });

  it('PipelineRunPending is ignored once children exist', () => {
    expect(
      plan(input(spec, kids, { run: withStatus('PipelineRunPending') })).condition.reason,
    ).toBe('Running');
  });
});
