/**
 * Whole PipelineRuns through repeated plan() calls, with a simulated executor on a virtual clock
 * (testing/simulate.ts): children end as each case's script says — success with results,
 * failure, running past a timeout — and the run must end as Tekton would end it.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineSpec } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { loadFixture, run, task, TASKS } from './testing/fixtures.ts';
import { simulate, type Script } from './testing/simulate.ts';

describe('the CI Pipeline of testdata/valid/ci.yaml, start to end', () => {
  const f = loadFixture('valid/ci.yaml');
  let builds = 0;
  const script: Script = (c) => {
    if (c.pipelineTask === 'clone') return { results: { commit: '3f2a9c1' } };
    if (c.pipelineTask === 'build')
      return ++builds < 3
        ? { status: 'Failed', ms: 2000 }
        : { results: { digest: 'sha256:abc' }, ms: 5000 };
    if (c.pipelineTask === 'test') return { results: { report: `ok-${c.matrixIndex}` }, ms: 3000 };
    return {};
  };
  const sim = simulate({ run: f.run, pipelineSpec: f.pipeline, taskSpecs: f.taskSpecs, script });

  it('retries the build twice (three attempts recorded), then runs on', () => {
    expect(
      sim.started.filter((s) => s.pipelineTask === 'build').map((s) => [s.name, s.attempt]),
    ).toEqual([
      ['ci-1-build', 0],
      ['ci-1-build-r1', 1],
      ['ci-1-build-r2', 2],
    ]);
    expect(sim.final.tasks.find((t) => t.name === 'build')).toMatchObject({
      phase: 'Succeeded',
      attempts: 3,
    });
  });

  it('fans test out over 3 platforms × 2 browsers plus the included mac/safari', () => {
    const tests = sim.started.filter((s) => s.pipelineTask === 'test');
    expect(tests).toHaveLength(7);
    const combos = tests.map((t) =>
      t.params
        .flatMap((p) => (p.name === 'digest' ? [] : [typeof p.value === 'string' ? p.value : '?']))
        .join('/'),
    );
    expect(combos).toEqual([
      'chrome/linux',
      'chrome/mac',
      'chrome/windows',
      'firefox/linux',
      'firefox/mac',
      'firefox/windows',
      'safari/mac',
    ]);
    expect(tests[0]?.params[0]).toEqual({ name: 'digest', value: 'sha256:abc' });
  });

  it('skips deploy by its when, and finally reads the statuses', () => {
    expect(sim.final.skipped).toEqual([
      {
        name: 'deploy',
        reason: 'When Expressions evaluated to false',
        whenExpressions: [{ input: 'false', operator: 'in', values: ['true'] }],
      },
    ]);
    const notify = sim.started.find((s) => s.pipelineTask === 'notify');
    expect(notify?.params).toEqual([
      { name: 'status', value: 'Completed' },
      { name: 'build', value: 'Succeeded' },
      { name: 'run', value: 'team/ci-1' },
    ]);
  });

  it('ends Completed with the pipeline results, one claim for the shared workspace', () => {
    expect(sim.final.condition).toEqual({
      type: 'Succeeded',
      status: 'True',
      reason: 'Completed',
      message: 'Tasks Completed: 4 (Failed: 0, Cancelled 0), Skipped: 1',
    });
    expect(sim.final.results).toEqual([
      { name: 'digest', type: 'string', value: 'sha256:abc' },
      {
        name: 'reports',
        type: 'array',
        value: ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5', 'ok-6'],
      },
    ]);
    expect(sim.final.volumeClaims.map((v) => v.claimName)).toEqual(['ci-1-ws-source']);
    expect(
      new Set(
        sim.started.flatMap((s) => s.workspaces.map((w) => w.persistentVolumeClaim?.claimName)),
      ),
    ).toEqual(new Set(['ci-1-ws-source']));
  });

  it('runs every child once: no name is started twice', () => {
    const names = sim.started.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a plan after the end says the same (a restarted controller finds a finished run)', () => {
    const again = plan({
      run: sim.run,
      pipelineSpec: f.pipeline,
      taskSpecs: f.taskSpecs,
      children: sim.children,
      now: new Date('2026-01-02T00:00:00Z'),
    });
    expect([again.done, again.start, again.cancel, again.condition]).toEqual([
      true,
      [],
      [],
      sim.final.condition,
    ]);
  });
});

describe('timeouts end to end', () => {
  const spec: PipelineSpec = {
    tasks: [
      task('build'),
      task('test', { runAfter: ['build'], timeout: '1m' }),
      task('deploy', { runAfter: ['test'] }),
      task('docs'),
    ],
    finally: [
      task('report', {
        params: [
          { name: 'msg', value: '$(tasks.test.status) $(tasks.test.reason) $(tasks.status)' },
        ],
      }),
    ],
  };
  const slowTest: Script = (c) => (c.pipelineTask === 'test' ? { ms: 10 * 60_000 } : {});

  it('a task past its timeout is killed, its dependents skipped, finally runs, the run fails', () => {
    const sim = simulate({ run: run(), pipelineSpec: spec, taskSpecs: TASKS, script: slowTest });
    expect(sim.log).toEqual([
      'start ci-1-build',
      'start ci-1-docs',
      'end ci-1-build Succeeded',
      'end ci-1-docs Succeeded',
      'start ci-1-test',
      'end ci-1-test TaskRunTimeout',
      'start ci-1-report',
      'end ci-1-report Succeeded',
    ]);
    expect(sim.final.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['deploy', 'PipelineRun was stopping'],
    ]);
    expect(sim.started.at(-1)?.params[0]?.value).toBe('Failed TaskRunTimeout Failed');
    expect(sim.final.condition).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 4 (Failed: 1, Cancelled 0), Skipped: 1',
    });
  });

  it('timeouts.tasks: the running task is cancelled at the deadline, finally still runs', () => {
    const r = run({ timeouts: { pipeline: '1h', tasks: '5m' } });
    const sim = simulate({
      run: r,
      pipelineSpec: { ...spec, tasks: spec.tasks.map((t) => ({ ...t, timeout: '30m' })) },
      taskSpecs: TASKS,
      script: slowTest,
    });
    expect(sim.log).toContain('cancel ci-1-test');
    expect(sim.log.at(-1)).toBe('end ci-1-report Succeeded');
    expect(sim.started.at(-1)?.params[0]?.value).toBe('Failed TaskRunCancelled Failed');
    expect(sim.final.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineRunTimeout',
      message: 'PipelineRun "ci-1" failed due to tasks failed to finish within "5m0s"',
    });
  });

  it('timeouts.pipeline: everything stops at the deadline and finally never runs', () => {
    const r = run({ timeouts: { pipeline: '3m' } });
    const sim = simulate({
      run: r,
      pipelineSpec: { ...spec, tasks: spec.tasks.map((t) => ({ ...t, timeout: '30m' })) },
      taskSpecs: TASKS,
      script: slowTest,
    });
    expect(sim.log.slice(-1)).toEqual(['cancel ci-1-test']);
    expect(sim.started.some((s) => s.finally)).toBe(false);
    expect(sim.final.condition).toMatchObject({
      reason: 'PipelineRunTimeout',
      message: 'PipelineRun "ci-1" failed to finish within "3m0s"',
    });
    expect(sim.final.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['deploy', 'PipelineRun timeout has been reached'],
      ['report', 'PipelineRun timeout has been reached'],
    ]);
  });
});

describe('a task that keeps failing', () => {
  it('is tried 1 + retries times, then fails the run', () => {
    const spec: PipelineSpec = {
      tasks: [task('flaky', { retries: 2 }), task('after', { runAfter: ['flaky'] })],
    };
    const sim = simulate({
      run: run(),
      pipelineSpec: spec,
      taskSpecs: TASKS,
      script: () => ({ status: 'Failed' }),
    });
    expect(sim.log.filter((l) => l.startsWith('start'))).toEqual([
      'start ci-1-flaky',
      'start ci-1-flaky-r1',
      'start ci-1-flaky-r2',
    ]);
    expect(sim.final.tasks[0]).toMatchObject({ phase: 'Failed', attempts: 3 });
    expect(sim.final.condition).toMatchObject({
      reason: 'Failed',
      message: 'Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1',
    });
  });
});
