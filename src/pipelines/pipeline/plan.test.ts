/**
 * plan(): what a run starts, with params, results and context variables substituted as Tekton
 * does, and how a matrix fans out — one case per situation (workspaces and inline specs:
 * resolve.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { PipelineRun, PipelineSpec } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { child, input, run, task, TASKS } from './testing/fixtures.ts';
import type { ChildState } from './types.ts';

const msg = (value: string) => [{ name: 'msg', value }];
const started = (spec: PipelineSpec, children: ChildState[] = [], o: { run?: PipelineRun } = {}) =>
  plan(input(spec, children, o)).start;

describe('the first step', () => {
  const spec: PipelineSpec = {
    params: [
      { name: 'revision' },
      { name: 'registry', default: 'localhost:5000' },
      { name: 'image', type: 'object', default: { repo: 'app', tag: 'dev' } },
    ],
    tasks: [
      task('clone', { params: msg('$(params.revision) of $(context.pipeline.name)') }),
      task('meta', {
        params: msg(
          '$(context.pipelineRun.namespace)/$(context.pipelineRun.name) $(context.pipelineRun.uid) r$(context.pipelineTask.retries)',
        ),
        retries: 3,
        timeout: '5m',
      }),
      task('image', { params: msg('$(params.registry)/$(params.image.repo):$(params.image.tag)') }),
      task('build', { runAfter: ['clone'] }),
    ],
  };
  const p = plan(
    input(spec, [], { run: run({ params: [{ name: 'revision', value: 'abc123' }] }) }),
  );

  it('starts the roots, named <run>-<task>, with params and context substituted', () => {
    expect(p.start.map((s) => [s.name, s.params[0]?.value])).toEqual([
      ['ci-1-clone', 'abc123 of build'],
      ['ci-1-meta', 'team/ci-1 uid-1 r3'],
      ['ci-1-image', 'localhost:5000/app:dev'],
    ]);
  });

  it('hands over the Task spec, retries and the child’s timeout', () => {
    const meta = p.start[1]!;
    expect(meta).toMatchObject({ pipelineTask: 'meta', attempt: 0, finally: false, retries: 3 });
    expect(meta.taskRef).toEqual({ name: 'echo', kind: 'Task' });
    expect(meta.taskSpec).toEqual(TASKS['echo']);
    expect([meta.timeout, meta.timeoutMs]).toEqual(['5m0s', 300_000]);
    expect([p.start[0]!.timeout, p.start[0]!.timeoutMs]).toEqual(['1h0m0s', 3_600_000]);
  });

  it('reports a running condition, the start time and when to look again', () => {
    expect(p.done).toBe(false);
    expect(p.condition).toEqual({
      type: 'Succeeded',
      status: 'Unknown',
      reason: 'Running',
      message: 'Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 4, Skipped: 0',
    });
    expect(p.startTime).toBe('2026-01-01T00:00:00.000Z');
    expect(p.requeueAfterMs).toBe(3_600_001);
    expect(p.tasks.map((t) => `${t.name}:${t.phase}`)).toEqual([
      'clone:Running',
      'meta:Running',
      'image:Running',
      'build:Waiting',
    ]);
  });

  it('starts nothing twice: a started child is followed, not recreated', () => {
    const again = plan(
      input(
        spec,
        [child('clone', 'Running'), child('meta', 'Pending'), child('image', 'Running')],
        { run: run({ params: [{ name: 'revision', value: 'x' }] }) },
      ),
    );
    expect(again.start).toEqual([]);
  });

  it('waits while the run is pending, without a start time', () => {
    const pending = plan(input(spec, [], { run: run({ status: 'PipelineRunPending' }) }));
    expect(pending).toMatchObject({
      start: [],
      done: false,
      condition: {
        status: 'Unknown',
        reason: 'PipelineRunPending',
        message: 'PipelineRun "ci-1" is pending',
      },
    });
    expect(pending.startTime).toBeUndefined();
  });

  it('warns about params the Pipeline does not declare, and ignores them', () => {
    const r = run({
      params: [
        { name: 'revision', value: 'x' },
        { name: 'colour', value: 'red' },
      ],
    });
    expect(plan(input(spec, [], { run: r })).warnings).toEqual([
      'param "colour" is not declared by the Pipeline; it is ignored',
    ]);
  });
});

describe('results flow into the next tasks', () => {
  const spec: PipelineSpec = {
    workspaces: [{ name: 'src' }],
    tasks: [
      task('build', { taskRef: { name: 'build' }, workspaces: [{ name: 'src' }] }),
      task('use', {
        taskRef: { name: 'needs' },
        params: [
          {
            name: 'target',
            value: '$(tasks.build.results.image.repo)@$(tasks.build.results.digest)',
          },
          { name: 'list', value: ['first', '$(tasks.build.results.tags[*])'] },
        ],
        when: [{ input: '$(tasks.build.results.tags[0])', operator: 'in', values: ['v1'] }],
      }),
      task('whole', {
        taskRef: { name: 'needs' },
        params: [
          { name: 'target', value: '$(tasks.build.results.tags[1])' },
          { name: 'list', value: '$(tasks.build.results.tags[*])' },
        ],
      }),
    ],
  };
  const built = child('build', 'Succeeded', {
    out: {
      digest: 'sha256:1',
      tags: ['v1', 'latest'],
      image: { repo: 'localhost:5000/app', tag: 'v1' },
    },
  });
  const r = run({ workspaces: [{ name: 'src', emptyDir: {} }] });

  it('waits for the task whose results it reads, then substitutes string, item, key and [*]', () => {
    expect(started(spec, [], { run: r }).map((s) => s.name)).toEqual(['ci-1-build']);
    const [use, whole] = started(spec, [built], { run: r });
    expect(use?.params).toEqual([
      { name: 'target', value: 'localhost:5000/app@sha256:1' },
      { name: 'list', value: ['first', 'v1', 'latest'] },
    ]);
    expect(use?.whenExpressions).toEqual([{ input: 'v1', operator: 'in', values: ['v1'] }]);
    expect(whole?.params).toEqual([
      { name: 'target', value: 'latest' },
      { name: 'list', value: ['v1', 'latest'] },
    ]);
  });
});

describe('matrix', () => {
  const spec: PipelineSpec = {
    params: [{ name: 'platforms', type: 'array', default: ['linux', 'mac', 'windows'] }],
    tasks: [
      task('test', {
        params: [{ name: 'suite', value: 'e2e' }],
        retries: 1,
        matrix: {
          params: [
            { name: 'platform', value: ['$(params.platforms[*])'] },
            { name: 'browser', value: ['chrome', 'firefox'] },
          ],
        },
      }),
      task('summary', {
        taskRef: { name: 'needs' },
        params: [
          {
            name: 'target',
            value: '$(tasks.test.matrix.length) runs, $(tasks.test.matrix.out.length) outs',
          },
          { name: 'list', value: ['$(tasks.test.results.out[*])'] },
        ],
      }),
    ],
  };
  const names = ['linux', 'mac', 'windows'];
  const done = (status: 'Succeeded' | 'Failed' = 'Succeeded') =>
    Array.from({ length: 6 }, (_, i) =>
      child('test', status, { matrixIndex: i, out: { out: `ok-${i}` } }),
    );

  it('fans a 3 × 2 matrix out to six children <run>-<task>-<i>, params and combination', () => {
    const s = started(spec);
    expect(s.map((c) => c.name)).toEqual([
      'ci-1-test-0',
      'ci-1-test-1',
      'ci-1-test-2',
      'ci-1-test-3',
      'ci-1-test-4',
      'ci-1-test-5',
    ]);
    expect(s.map((c) => c.matrixIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s[4]?.params).toEqual([
      { name: 'suite', value: 'e2e' },
      { name: 'browser', value: 'firefox' },
      { name: 'platform', value: names[1] },
    ]);
  });

  it('restarts a combination whose child was lost, and waits for the others', () => {
    const s = started(
      spec,
      done().filter((c) => c.matrixIndex !== 2),
    );
    expect(s.map((c) => c.name)).toEqual(['ci-1-test-2']);
  });

  it('passes results on as arrays in combination order, with matrix lengths', () => {
    const [summary] = started(spec, done());
    expect(summary?.params).toEqual([
      { name: 'target', value: '6 runs, 6 outs' },
      { name: 'list', value: ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5'] },
    ]);
  });

  it('retries a failed combination alone, as <run>-<task>-<i>-r<n>', () => {
    const kids = done().map((c) =>
      c.matrixIndex === 3 ? { ...c, status: 'Failed' as const, reason: 'Failed' } : c,
    );
    const p = plan(input(spec, kids));
    expect(p.start.map((s) => [s.name, s.attempt, s.matrixIndex])).toEqual([
      ['ci-1-test-3-r1', 1, 3],
    ]);
    expect(p.tasks[0]).toMatchObject({ name: 'test', phase: 'Running', attempts: 2 });
    expect(p.tasks[0]?.children).toEqual([
      'ci-1-test-0',
      'ci-1-test-1',
      'ci-1-test-2',
      'ci-1-test-3-r1',
      'ci-1-test-4',
      'ci-1-test-5',
    ]);
  });

  it('skips a matrix over an empty array (EmptyArrayInMatrixParams)', () => {
    const p = plan(input(spec, [], { run: run({ params: [{ name: 'platforms', value: [] }] }) }));
    expect(p.skipped).toEqual([
      { name: 'test', reason: 'Matrix Parameters have an empty array' },
      { name: 'summary', reason: 'Parent Tasks were skipped' },
    ]);
  });
});
