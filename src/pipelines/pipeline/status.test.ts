/**
 * The run's `Succeeded` condition (reasons and message as Tekton words them) and its results,
 * one row per outcome.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, RunCondition } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { child, input, run, task } from './testing/fixtures.ts';
import type { ChildState } from './types.ts';

const spec: PipelineSpec = {
  params: [{ name: 'env', default: 'dev' }],
  tasks: [
    task('a'),
    task('b'),
    task('c', { when: [{ input: '$(params.env)', operator: 'in', values: ['prod'] }] }),
  ],
};
const noWhen: PipelineSpec = { tasks: spec.tasks.slice(0, 2) };

const rows: [string, PipelineSpec, ChildState[], Partial<RunCondition> & { done: boolean }][] = [
  [
    'all succeeded',
    noWhen,
    [child('a'), child('b')],
    {
      done: true,
      status: 'True',
      reason: 'Succeeded',
      message: 'Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0',
    },
  ],
  [
    'some skipped',
    spec,
    [child('a'), child('b')],
    {
      done: true,
      status: 'True',
      reason: 'Completed',
      message: 'Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 1',
    },
  ],
  [
    'one failed',
    spec,
    [child('a'), child('b', 'Failed')],
    {
      done: true,
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 1',
    },
  ],
  [
    'one cancelled',
    noWhen,
    [child('a'), child('b', 'Failed', { reason: 'TaskRunCancelled' })],
    {
      done: true,
      status: 'False',
      reason: 'Cancelled',
      message: 'Tasks Completed: 2 (Failed: 0, Cancelled 1), Skipped: 0',
    },
  ],
  [
    'still running',
    spec,
    [child('a'), child('b', 'Running')],
    {
      done: false,
      status: 'Unknown',
      reason: 'Running',
      message: 'Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 1',
    },
  ],
  [
    'a failure while another runs (no finally): stopping',
    noWhen,
    [child('a', 'Failed'), child('b', 'Running')],
    { done: false, status: 'Unknown', reason: 'PipelineRunStopping' },
  ],
];

describe('the Succeeded condition', () => {
  it.each(rows)('%s', (_, s, children, want) => {
    const { done, ...cond } = want;
    const p = plan(input(s, children));
    expect(p.done).toBe(done);
    expect(p.condition).toMatchObject({ type: 'Succeeded', ...cond });
  });

  it('a failure with finally still to run is Running, not yet stopping', () => {
    const p = plan(
      input({ ...noWhen, finally: [task('f')] }, [child('a', 'Failed'), child('b', 'Running')]),
    );
    expect(p.condition.reason).toBe('Running');
  });
});

describe('pipeline results', () => {
  const withResults: PipelineSpec = {
    tasks: [
      task('build', { taskRef: { name: 'build' }, workspaces: [{ name: 'src' }] }),
      task('lint'),
    ],
    workspaces: [{ name: 'src' }],
    finally: [task('report')],
    results: [
      { name: 'digest', value: '$(tasks.build.results.digest)' },
      { name: 'ref', value: '$(tasks.build.results.image.repo)@$(tasks.build.results.digest)' },
      { name: 'tags', type: 'array', value: '$(tasks.build.results.tags[*])' },
      { name: 'image', value: '$(tasks.build.results.image[*])' },
      { name: 'lint', value: '$(tasks.lint.results.out)' },
      { name: 'report', value: '$(finally.report.results.out)' },
    ],
  };
  const r = run({ workspaces: [{ name: 'src', emptyDir: {} }] });
  const build = child('build', 'Succeeded', {
    out: { digest: 'sha256:9', tags: ['v1', 'v2'], image: { repo: 'app', tag: 'v1' } },
  });

  it('substitutes task results once done (strings, arrays, objects, finally results)', () => {
    const p = plan(
      input(
        withResults,
        [
          build,
          child('lint', 'Succeeded', { out: { out: 'clean' } }),
          child('report', 'Succeeded', { out: { out: 'sent' } }),
        ],
        { run: r },
      ),
    );
    expect(p.done).toBe(true);
    expect(p.results).toEqual([
      { name: 'digest', type: 'string', value: 'sha256:9' },
      { name: 'ref', type: 'string', value: 'app@sha256:9' },
      { name: 'tags', type: 'array', value: ['v1', 'v2'] },
      { name: 'image', type: 'object', value: { repo: 'app', tag: 'v1' } },
      { name: 'lint', type: 'string', value: 'clean' },
      { name: 'report', type: 'string', value: 'sent' },
    ]);
  });

  it('leaves out results of tasks that did not succeed, and has none while running', () => {
    const running = plan(input(withResults, [build, child('lint', 'Running')], { run: r }));
    expect(running.results).toEqual([]);
    const p = plan(
      input(
        withResults,
        [build, child('lint', 'Failed'), child('report', 'Succeeded', { out: { out: 'sent' } })],
        { run: r },
      ),
    );
    expect(p.results.map((x) => x.name)).toEqual(['digest', 'ref', 'tags', 'image', 'report']);
    expect(p.condition.reason).toBe('Failed');
  });

  it('fails the run when a succeeded task did not produce a result the Pipeline reports', () => {
    const p = plan(
      input(
        withResults,
        [build, child('lint'), child('report', 'Succeeded', { out: { out: 'sent' } })],
        { run: r },
      ),
    );
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'CouldntGetPipelineResult',
      message: 'PipelineRun "ci-1": results lint read task results that were not produced',
    });
  });
});

describe('a run that cannot start', () => {
  it('ends at once with the first error’s reason and every message', () => {
    const p = plan(
      input({ params: [{ name: 'revision' }], tasks: [task('a', { runAfter: ['ghost'] })] }),
    );
    expect(p.done).toBe(true);
    expect(p.start).toEqual([]);
    expect(p.errors.map((e) => e.code)).toEqual(['MissingTask', 'MissingParam']);
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineInvalidGraph',
      message:
        'Pipeline/team/build: task "a" runs after "ghost", which is not a task of this Pipeline (and 1 more: param "revision" has no value and the Pipeline gives no default)',
    });
  });

  it('stops children it may already have started (the Pipeline changed under a run)', () => {
    const p = plan(
      input({ tasks: [task('a', { taskRef: { name: 'gone' } })] }, [child('a', 'Running')]),
    );
    expect(p.cancel.map((c) => c.name)).toEqual(['ci-1-a']);
    expect(p.condition.reason).toBe('CouldntGetTask');
  });
});

describe('onError: continue', () => {
  const spec: PipelineSpec = {
    tasks: [
      task('lint', { onError: 'continue' }),
      task('build', { runAfter: ['lint'] }),
      task('test'),
    ],
    finally: [
      task('report', { params: [{ name: 'msg', value: '$(tasks.lint.status) $(tasks.status)' }] }),
    ],
  };

  it('a failure does not stop the run: the tasks after it start', () => {
    const p = plan(input(spec, [child('lint', 'Failed'), child('test', 'Running')]));
    expect(p.start.map((s) => s.name)).toEqual(['ci-1-build']);
    expect(p.condition.reason).toBe('Running');
  });

  it('finally still sees the failure; the run succeeds, the failure shown as ignored', () => {
    const kids = [child('lint', 'Failed'), child('build'), child('test')];
    expect(plan(input(spec, kids)).start[0]?.params[0]?.value).toBe('Failed Failed');
    const p = plan(input(spec, [...kids, child('report')]));
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'True',
      reason: 'Succeeded',
      message: 'Tasks Completed: 4 (Failed: 1 (Ignored: 1), Cancelled 0), Skipped: 0',
    });
  });
});
