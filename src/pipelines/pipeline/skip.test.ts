/**
 * Which tasks start and which are skipped, and why (Tekton's reasons, as `status.skippedTasks`
 * shows them): `when`, skipped parents, missing results, a failed task stopping the run, a result
 * a task did not produce — one row per situation.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineRun, PipelineSpec, WhenExpression } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { child, input, run, task } from './testing/fixtures.ts';
import { SKIP_REASONS as R, type ChildState } from './types.ts';

const when = (
  input: string,
  operator: 'in' | 'notin',
  values: string[],
): { when: WhenExpression[] } => ({
  when: [{ input, operator, values }],
});
const reads = (from: string, extra = {}) => ({
  params: [{ name: 'msg', value: `$(tasks.${from}.results.out)` }],
  ...extra,
});

interface Row {
  name: string;
  spec: PipelineSpec;
  children?: ChildState[];
  run?: PipelineRun;
  start: string[];
  skipped: [string, string][];
  phases?: Record<string, string>;
}

const params = [
  { name: 'env', default: 'dev' },
  { name: 'envs', type: 'array' as const, default: ['dev', 'test'] },
];

const rows: Row[] = [
  {
    name: 'a false `when` skips the task; tasks after it (runAfter) still run',
    spec: {
      params,
      tasks: [
        task('deploy', when('$(params.env)', 'in', ['prod'])),
        task('smoke', { runAfter: ['deploy'] }),
        task('other', when('$(params.env)', 'notin', ['prod'])),
      ],
    },
    start: ['ci-1-smoke', 'ci-1-other'],
    skipped: [['deploy', R.when]],
  },
  {
    name: '`when` values expand an array param with [*]',
    spec: {
      params,
      tasks: [
        task('a', when('dev', 'in', ['$(params.envs[*])'])),
        task('b', when('prod', 'in', ['$(params.envs[*])'])),
      ],
    },
    start: ['ci-1-a'],
    skipped: [['b', R.when]],
  },
  {
    name: 'a task reading results of a when-skipped task is skipped (missing results), and so are its dependents',
    spec: {
      params,
      tasks: [
        task('build', when('$(params.env)', 'in', ['prod'])),
        task('push', reads('build')),
        task('notify', { runAfter: ['push'] }),
        task('audit', { runAfter: ['build'] }),
      ],
    },
    start: ['ci-1-audit'],
    skipped: [
      ['build', R.when],
      ['push', R.missingResults],
      ['notify', R.parentSkipped],
    ],
  },
  {
    name: '`when` reading a result waits for it, then decides',
    spec: {
      tasks: [task('check'), task('deploy', when('$(tasks.check.results.out)', 'in', ['yes']))],
    },
    children: [child('check', 'Succeeded', { out: { out: 'no' } })],
    start: [],
    skipped: [['deploy', R.when]],
  },
  {
    name: 'a failed task stops the run: nothing new starts, running tasks go on, finally waits for them',
    spec: {
      tasks: [
        task('a'),
        task('b'),
        task('c', { runAfter: ['a'] }),
        task('d', { runAfter: ['c'] }),
        task('e', { runAfter: ['b'] }),
      ],
      finally: [task('cleanup')],
    },
    children: [child('a', 'Failed'), child('b', 'Running')],
    start: [],
    skipped: [
      ['c', R.stopping],
      ['d', R.stopping],
      ['e', R.stopping],
    ],
    phases: { a: 'Failed', b: 'Running', cleanup: 'Waiting' },
  },
  {
    name: 'once the running tasks end, finally starts',
    spec: {
      tasks: [task('a'), task('b'), task('c', { runAfter: ['a'] })],
      finally: [task('cleanup')],
    },
    children: [child('a', 'Failed'), child('b', 'Succeeded')],
    start: ['ci-1-cleanup'],
    skipped: [['c', R.stopping]],
  },
  {
    name: 'a cancelled task stops the run too',
    spec: { tasks: [task('a'), task('b', { runAfter: ['a'] })] },
    children: [child('a', 'Failed', { reason: 'TaskRunCancelled' })],
    start: [],
    skipped: [['b', R.stopping]],
    phases: { a: 'Cancelled' },
  },
  {
    name: 'a task reading a result its (succeeded) task did not produce fails validation and stops the run',
    spec: { tasks: [task('a'), task('b', reads('a')), task('c', { runAfter: ['a'] })] },
    children: [child('a', 'Succeeded')],
    start: [],
    skipped: [['c', R.stopping]],
    phases: { b: 'ValidationFailed' },
  },
  {
    name: 'the tasks timeout passed before a task could start',
    spec: { tasks: [task('a'), task('b', { runAfter: ['a'] })] },
    run: run({ timeouts: { pipeline: '1h', tasks: '10m' } }, { startTime: '2025-12-31T23:40:00Z' }),
    children: [child('a', 'Succeeded', { completionTime: '2025-12-31T23:45:00Z' })],
    start: [],
    skipped: [['b', R.tasksTimeout]],
  },
];

describe('skipping, as Tekton', () => {
  it.each(rows)('$name', (row) => {
    const p = plan(input(row.spec, row.children ?? [], row.run ? { run: row.run } : {}));
    expect(p.errors).toEqual([]);
    expect(p.start.map((s) => s.name)).toEqual(row.start);
    expect(p.skipped.map((s) => [s.name, s.reason])).toEqual(row.skipped);
    const phases = Object.fromEntries(p.tasks.map((t) => [t.name, t.phase]));
    expect(phases).toMatchObject(row.phases ?? {});
  });

  it('lists the evaluated `when` expressions of a when-skipped task', () => {
    const p = plan(
      input({ params, tasks: [task('deploy', when('$(params.env)', 'in', ['prod']))] }),
    );
    expect(p.skipped).toEqual([
      {
        name: 'deploy',
        reason: 'When Expressions evaluated to false',
        whenExpressions: [{ input: 'dev', operator: 'in', values: ['prod'] }],
      },
    ]);
  });

  it('a validation failure at run time ends the run with PipelineValidationFailed, naming it', () => {
    const p = plan(input({ tasks: [task('a'), task('b', reads('a'))] }, [child('a', 'Succeeded')]));
    expect(p.done).toBe(true);
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineValidationFailed',
      message:
        'Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0, Failed Validation: 1 (task "b" reads $(tasks.a.results.out), but "a" did not produce result "out")',
    });
  });
});
