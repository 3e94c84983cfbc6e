import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../api/pipeline.ts';
import { paramTypeOf, readParam, resolveParams } from './params.ts';
import { parseRef } from './refs.ts';

describe('param types', () => {
  it.each<[ParamSpec, string]>([
    [{ name: 'a' }, 'string'],
    [{ name: 'a', type: 'array' }, 'array'],
    [{ name: 'a', default: ['x'] }, 'array'],
    [{ name: 'a', default: { k: 'v' } }, 'object'],
    [{ name: 'a', properties: { k: { type: 'string' } } }, 'object'],
    [{ name: 'a', default: 'x' }, 'string'],
  ])('%j is %s (declared, else from default or properties)', (spec, type) =>
    expect(paramTypeOf(spec)).toBe(type),
  );
});

describe('param values', () => {
  const specs: ParamSpec[] = [
    { name: 'repo', default: 'shop' },
    { name: 'cache', default: '$(params.repo)-cache' },
    { name: 'flags', type: 'array', default: ['-v'] },
    { name: 'image', type: 'object', default: { repo: 'r', tag: 'latest' } },
    { name: 'a.b', default: 'dotted' },
    { name: 'required' },
  ];

  it('takes the run’s value, else the default; objects merge keys over the default’s', () => {
    const { values, extra } = resolveParams(specs, [
      { name: 'repo', value: 'web' },
      { name: 'image', value: { tag: 'v2' } },
      { name: 'undeclared', value: 'x' },
    ]);
    expect(Object.fromEntries(values)).toEqual({
      repo: 'web',
      cache: 'web-cache',
      flags: ['-v'],
      image: { repo: 'r', tag: 'v2' },
      'a.b': 'dotted',
    });
    expect(extra).toEqual(['undeclared']);
  });

  it('leaves a default that reads params in a loop as written', () => {
    const { values } = resolveParams(
      [
        { name: 'x', default: '$(params.y)' },
        { name: 'y', default: '$(params.x)' },
      ],
      [],
    );
    expect(values.get('x')).toBe('$(params.y)');
  });

  const { values, declared } = resolveParams(specs, []);
  it.each([
    ['params.repo', 'shop'],
    ['params.flags', ['-v']],
    ['params.flags[*]', ['-v']],
    ['params.flags[0]', '-v'],
    ['params.flags[3]', undefined],
    ['params.image.tag', 'latest'],
    ['params.image[*]', { repo: 'r', tag: 'latest' }],
    ['params.a.b', 'dotted'],
    ['params.repo[*]', undefined],
    ['params.nope', undefined],
  ])('reads %s as %j', (ref, want) => expect(readParam(values, declared, ref)).toEqual(want));
});

describe('references', () => {
  it.each([
    ['params.x', { kind: 'param', name: 'x', path: 'x' }],
    ['params.obj.key', { kind: 'param', name: 'obj', path: 'obj.key', key: 'key' }],
    ['params.arr[*]', { kind: 'param', name: 'arr', path: 'arr', star: true }],
    ['tasks.b.results.d', { kind: 'result', task: 'b', result: 'd', from: 'tasks' }],
    ['tasks.b.results.d[1]', { kind: 'result', task: 'b', result: 'd', from: 'tasks', index: 1 }],
    [
      'tasks.b.results.img.repo',
      { kind: 'result', task: 'b', result: 'img', from: 'tasks', key: 'repo' },
    ],
    ['finally.n.results.d', { kind: 'result', task: 'n', result: 'd', from: 'finally' }],
    ['tasks.b.status', { kind: 'taskStatus', task: 'b' }],
    ['tasks.b.reason', { kind: 'taskReason', task: 'b' }],
    ['tasks.status', { kind: 'tasksStatus' }],
    ['tasks.m.matrix.length', { kind: 'matrixLength', task: 'm' }],
    ['tasks.m.matrix.r.length', { kind: 'matrixLength', task: 'm', result: 'r' }],
    ['context.pipelineRun.name', { kind: 'context', variable: 'pipelineRun.name' }],
    ['workspaces.src.bound', { kind: 'workspaceBound', workspace: 'src' }],
    ['workspaces.src.path', { kind: 'other', text: 'workspaces.src.path' }],
    ['date', { kind: 'other', text: 'date' }],
  ])('%s means %j', (ref, want) => expect(parseRef(ref)).toEqual(want));
});
