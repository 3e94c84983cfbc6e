import { describe, expect, it } from 'vitest';
import { buildGraph, describeCycle, readyTasks, roots } from './dag.ts';
import { task } from './testing/fixtures.ts';

const reads = (name: string, from: string, extra = {}) =>
  task(name, { params: [{ name: 'msg', value: `$(tasks.${from}.results.out)` }], ...extra });

describe('the DAG', () => {
  const g = buildGraph([
    task('clone'),
    task('lint', { runAfter: ['clone'] }),
    reads('build', 'clone'),
    task('test', {
      runAfter: ['build'],
      when: [{ input: '$(tasks.lint.results.out)', operator: 'in', values: ['ok'] }],
    }),
    task('report', {
      taskSpec: { steps: [{ image: 'busybox', script: 'echo $(tasks.test.results.out)' }] },
    }),
    task('deploy', {
      runAfter: ['test', 'build'],
      matrix: { params: [{ name: 'env', value: ['$(tasks.lint.results.out)'] }] },
    }),
  ]);

  it.each([
    ['clone', []],
    ['lint', ['clone']],
    ['build', ['clone']],
    ['test', ['build', 'lint']],
    ['report', ['test']],
    ['deploy', ['test', 'build', 'lint']],
  ])(
    '%s waits for %j (runAfter, then results read in params, when, matrix, inline steps)',
    (n, want) => expect(g.parents.get(n)).toEqual(want),
  );

  it('orders tasks topologically, keeping spec order among ready ones', () => {
    expect(g.order).toEqual(['clone', 'lint', 'build', 'test', 'report', 'deploy']);
    expect(g.cycle).toBeUndefined();
    expect(roots(g)).toEqual(['clone']);
  });

  it('lists the tasks ready once their parents are done', () => {
    expect(readyTasks(g, new Set(), new Set())).toEqual(['clone']);
    expect(readyTasks(g, new Set(['clone']), new Set())).toEqual(['lint', 'build']);
    expect(readyTasks(g, new Set(['clone', 'lint']), new Set(['build']))).toEqual([]);
    expect(readyTasks(g, new Set(['clone', 'lint', 'build']), new Set())).toEqual(['test']);
  });

  it.each([
    [
      'runAfter loop',
      [
        task('a', { runAfter: ['c'] }),
        task('b', { runAfter: ['a'] }),
        task('c', { runAfter: ['b'] }),
      ],
      'a → b → c → a',
    ],
    ['results loop', [reads('x', 'y'), reads('y', 'x')], 'x → y → x'],
    [
      'loop below a root',
      [task('root'), task('p', { runAfter: ['root', 'q'] }), reads('q', 'p')],
      'p → q → p',
    ],
  ])('names a cycle (%s) in run order', (_, tasks, want) => {
    const c = buildGraph(tasks);
    expect(c.order).toEqual([]);
    expect(describeCycle(c.cycle ?? [])).toBe(want);
  });

  it('drops edges to unknown tasks (validation reports them)', () => {
    expect(buildGraph([task('a', { runAfter: ['ghost'] })]).parents.get('a')).toEqual([]);
  });
});
