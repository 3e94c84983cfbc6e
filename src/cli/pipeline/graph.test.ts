/** The task graph drawn as a tree: one table row per shape of DAG. */
import { describe, expect, it } from 'vitest';
import type { PipelineTask } from '../../api/pipeline.ts';
import { drawTree, finallyRows } from './graph.ts';

const step = { steps: [{ name: 's', image: 'busybox', script: 'true' }] };

/** `a`, `b<a`, `c<a,b`, `d<$a` (d reads a's result): a compact way to write a Pipeline. */
function tasks(spec: string): PipelineTask[] {
  return spec.split(' ').map((t) => {
    const [name = '', deps = ''] = t.split('<');
    const after = deps.split(',').filter((d) => d && !d.startsWith('$'));
    const reads = deps.split(',').filter((d) => d.startsWith('$'));
    return {
      name,
      taskSpec: step,
      ...(after.length > 0 ? { runAfter: after } : {}),
      ...(reads.length > 0
        ? { params: reads.map((r) => ({ name: 'x', value: `$(tasks.${r.slice(1)}.results.out)` })) }
        : {}),
    };
  });
}

const draw = (spec: string): string =>
  drawTree(tasks(spec))
    .map((r) => `${r.prefix}${r.name}${r.also.length > 0 ? ` +${r.also.join(',')}` : ''}`)
    .join('\n');

describe('drawTree', () => {
  it.each([
    ['one task', 'a', 'a'],
    ['parallel roots in spec order', 'a b c', 'a\nb\nc'],
    ['a chain', 'a b<a c<b', 'a\n└─ b\n   └─ c'],
    ['a fan-out', 'a b<a c<a', 'a\n├─ b\n└─ c'],
    [
      'a diamond: the join under the later parent, the other named',
      'a b<a c<a d<b,c',
      'a\n├─ b\n└─ c\n   └─ d +b',
    ],
    [
      'a join under its deepest parent',
      'a b<a c b2<b d<b2,c',
      'a\n└─ b\n   └─ b2\n      └─ d +c\nc',
    ],
    ['a result reference orders like runAfter', 'build test<$build', 'build\n└─ test'],
    ['a continuation line under a branch that goes on', 'a b<a c<b d<a', 'a\n├─ b\n│  └─ c\n└─ d'],
    ['spec order need not be topological', 'c<b b<a a', 'a\n└─ b\n   └─ c'],
  ])('%s', (_what, spec, want) => {
    expect(draw(spec)).toBe(want);
  });

  it('gives each task its layer and all its parents', () => {
    const rows = drawTree(tasks('a b<a c<a d<b,c'));
    expect(rows.map((r) => [r.name, r.layer, r.after])).toEqual([
      ['a', 0, []],
      ['b', 1, ['a']],
      ['c', 1, ['a']],
      ['d', 2, ['b', 'c']],
    ]);
  });

  it('draws a graph with a cycle flat, in spec order (validation names the cycle)', () => {
    expect(draw('a<c b<a c<b')).toBe('a\nb\nc');
  });

  it('draws finally tasks as branches of their own', () => {
    expect(finallyRows(tasks('x y')).map((r) => r.prefix + r.name)).toEqual(['├─ x', '└─ y']);
  });
});
