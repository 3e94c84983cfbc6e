/**
 * `finally` tasks: they start once every task is done (succeeded, failed or skipped), read
 * `$(tasks.<t>.status)` (Succeeded | Failed | None) and `$(tasks.status)` (Succeeded | Failed |
 * Completed | None), results of tasks that ran, and are skipped when a result they read is
 * missing or their `when` says so.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineSpec } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { child, input, task } from './testing/fixtures.ts';
import type { ChildState } from './types.ts';

const spec: PipelineSpec = {
  params: [{ name: 'env', default: 'dev' }],
  tasks: [
    task('build'),
    task('test', { runAfter: ['build'] }),
    task('deploy', {
      runAfter: ['test'],
      when: [{ input: '$(params.env)', operator: 'in', values: ['prod'] }],
    }),
  ],
  finally: [
    task('report', {
      params: [
        {
          name: 'msg',
          value:
            'all=$(tasks.status) build=$(tasks.build.status) test=$(tasks.test.status) deploy=$(tasks.deploy.status) why=$(tasks.test.reason)',
        },
      ],
    }),
  ],
};

const report = (children: ChildState[]) =>
  plan(input(spec, children)).start.find((s) => s.pipelineTask === 'report')?.params[0]?.value;

describe('finally', () => {
  it('waits until every task is done', () => {
    const p = plan(input(spec, [child('build'), child('test', 'Running')]));
    expect(p.start).toEqual([]);
    expect(p.tasks.find((t) => t.name === 'report')?.phase).toBe('Waiting');
  });

  it.each<[string, ChildState[], string]>([
    [
      'all succeeded, one skipped by when: Completed',
      [child('build'), child('test')],
      'all=Completed build=Succeeded test=Succeeded deploy=None why=Succeeded',
    ],
    [
      'a task failed: Failed, and the tasks after it are None',
      [child('build'), child('test', 'Failed', { reason: 'TaskRunTimeout' })],
      'all=Failed build=Succeeded test=Failed deploy=None why=TaskRunTimeout',
    ],
    [
      'the first task failed',
      [child('build', 'Failed')],
      'all=Failed build=Failed test=None deploy=None why=',
    ],
  ])('reads the statuses when %s', (_, children, want) => expect(report(children)).toBe(want));

  it('says Succeeded when every task succeeded', () => {
    const all: PipelineSpec = { ...spec, params: [{ name: 'env', default: 'prod' }] };
    const s = plan(input(all, [child('build'), child('test'), child('deploy')])).start;
    expect(s[0]?.params[0]?.value).toBe(
      'all=Succeeded build=Succeeded test=Succeeded deploy=Succeeded why=Succeeded',
    );
  });

  it('records when finally began, and keeps it', () => {
    const p = plan(input(spec, [child('build'), child('test')]));
    expect(p.finallyStartTime).toBe('2026-01-01T00:00:00.000Z');
    const later = plan(
      input(spec, [
        child('build'),
        child('test'),
        child('report', 'Running', { startTime: '2026-01-01T00:00:05Z' }),
      ]),
    );
    expect(later.finallyStartTime).toBe('2026-01-01T00:00:05.000Z');
  });

  const guarded: PipelineSpec = {
    tasks: [task('build'), task('test', { runAfter: ['build'] })],
    finally: [
      task('on-failure', {
        when: [{ input: '$(tasks.status)', operator: 'in', values: ['Failed'] }],
      }),
      task('publish', { params: [{ name: 'msg', value: '$(tasks.build.results.out)' }] }),
      task('always'),
    ],
  };

  it.each<[string, ChildState[], string[], [string, string][]]>([
    [
      'on success: the failure handler is skipped by its when',
      [child('build', 'Succeeded', { out: { out: 'sha' } }), child('test')],
      ['ci-1-publish', 'ci-1-always'],
      [['on-failure', 'When Expressions evaluated to false']],
    ],
    [
      'on failure: the handler runs; a result the failed task still wrote is usable',
      [child('build', 'Succeeded', { out: { out: 'sha' } }), child('test', 'Failed')],
      ['ci-1-on-failure', 'ci-1-publish', 'ci-1-always'],
      [],
    ],
    [
      'a result that was never produced skips the finally task that reads it',
      [child('build', 'Failed')],
      ['ci-1-on-failure', 'ci-1-always'],
      [
        ['test', 'PipelineRun was stopping'],
        ['publish', 'Results were missing'],
      ],
    ],
  ])('%s', (_, children, start, skipped) => {
    const p = plan(input(guarded, children));
    expect(p.start.map((s) => s.name)).toEqual(start);
    expect(p.skipped.map((s) => [s.name, s.reason])).toEqual(skipped);
  });

  it('the run is Failed once finally is done, whatever finally did', () => {
    const p = plan(
      input(guarded, [child('build', 'Failed'), child('on-failure'), child('always', 'Failed')]),
    );
    expect(p.done).toBe(true);
    expect(p.condition).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 3 (Failed: 2, Cancelled 0), Skipped: 2',
    });
  });

  it('a failing finally task fails a run whose tasks succeeded', () => {
    const p = plan(
      input(guarded, [
        child('build', 'Succeeded', { out: { out: 'x' } }),
        child('test'),
        child('publish'),
        child('always', 'Failed'),
      ]),
    );
    expect(p.condition).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 4 (Failed: 1, Cancelled 0), Skipped: 1',
    });
  });
});
