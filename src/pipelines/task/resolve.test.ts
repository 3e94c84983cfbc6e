import { describe, expect, it } from 'vitest';
import type { Param, TaskSpec, WorkspaceBinding } from '../../api/pipeline.ts';
import { TaskError, type TaskErrorCode, type TaskErrorSubject } from './errors.ts';
import { resolveTask, type ResolvedTask, type TaskInput } from './resolve.ts';

const context = {
  taskRunName: 'build-run-1',
  namespace: 'ci',
  uid: 'uid-1',
  taskName: 'build',
};

function run(
  spec: Partial<TaskSpec>,
  params: Param[] = [],
  workspaces: WorkspaceBinding[] = [],
  extra: Partial<TaskInput> = {},
): ResolvedTask {
  return resolveTask({
    spec: { steps: [], ...spec },
    params,
    workspaces,
    context,
    ...extra,
  });
}

/** One step with `field` set, resolved: the step's resolved field. */
const step = (s: TaskSpec['steps'][number], spec: Partial<TaskSpec> = {}, params: Param[] = []) =>
  run({ ...spec, steps: [{ image: 'busybox', ...s }] }, params).steps[0]!;

describe('resolveTask: references', () => {
  const spec: Partial<TaskSpec> = {
    params: [
      { name: 'msg', default: 'hi' },
      { name: 'flags', type: 'array', default: ['-a', '-b'] },
      { name: 'repo', type: 'object', properties: { url: {} }, default: { url: 'https://x' } },
      { name: 'dotted.name', default: 'dot' },
    ],
    results: [{ name: 'digest' }],
    workspaces: [{ name: 'src' }, { name: 'cache', mountPath: '/cache', optional: true }],
  };
  const ws: WorkspaceBinding[] = [{ name: 'src', persistentVolumeClaim: { claimName: 'pvc-1' } }];
  const one = (script: string): string | undefined =>
    run({ ...spec, steps: [{ image: 'b', script }] }, [], ws).steps[0]!.script;

  it.each<[string, string]>([
    ['$(params.msg)', 'hi'],
    ['$(params["dotted.name"])', 'dot'],
    ['$(params.repo.url)', 'https://x'],
    ['$(params.flags[1])', '-b'],
    ['$(results.digest.path)', '/sluice/results/digest'],
    ['$(workspaces.src.path)', '/workspace/src'],
    ['$(workspaces.src.bound) $(workspaces.cache.bound)', 'true false'],
    ['$(workspaces.src.claim)', 'pvc-1'],
    ['[$(workspaces.cache.path)]', '[]'],
    [
      '$(context.taskRun.name) $(context.taskRun.namespace) $(context.taskRun.uid)',
      'build-run-1 ci uid-1',
    ],
    ['$(context.task.name) $(context.task.retry-count)', 'build 0'],
    ['echo $(date) $(cat f)', 'echo $(date) $(cat f)'],
  ])('%s → %s', (text, want) => {
    expect(one(text)).toBe(`#!/bin/sh\nset -e\n${want}`);
  });

  it('expands a whole array into args, one element each', () => {
    const s = run(
      {
        ...spec,
        steps: [{ image: 'b', command: ['tool'], args: ['run', '$(params.flags[*])', '--'] }],
      },
      [],
      ws,
    ).steps[0]!;
    expect(s.args).toEqual(['run', '-a', '-b', '--']);
  });

  it('substitutes image, env, workingDir and volumes', () => {
    const t = run(
      {
        ...spec,
        volumes: [{ name: 'v', configMap: { name: 'cm-$(params.msg)' } }],
        steps: [
          {
            image: 'reg/$(params.msg):1',
            workingDir: '$(workspaces.src.path)/sub',
            env: [{ name: 'URL', value: '$(params.repo.url)' }],
          },
        ],
      },
      [{ name: 'msg', value: 'yo' }],
      ws,
    );
    expect(t.steps[0]).toMatchObject({
      image: 'reg/yo:1',
      workingDir: '/workspace/src/sub',
      env: [{ name: 'URL', value: 'https://x' }],
    });
    expect(t.volumes).toEqual([{ name: 'v', configMap: { name: 'cm-yo' } }]);
  });

  it('uses the executor’s result directory and workspace paths', () => {
    const t = run(
      { ...spec, steps: [{ image: 'b', script: '$(results.digest.path) $(workspaces.src.path)' }] },
      [],
      ws,
      { resultsDir: '/tmp/r', workspacePaths: { src: '/tmp/ws/src' } },
    );
    expect(t.steps[0]!.script).toContain('/tmp/r/digest /tmp/ws/src');
  });
});

describe('resolveTask: steps', () => {
  it('names unnamed steps and their containers as Tekton', () => {
    const t = run({ steps: [{ image: 'a' }, { name: 'build', image: 'b' }] });
    expect(t.steps.map((s) => [s.name, s.container])).toEqual([
      ['unnamed-0', 'step-unnamed-0'],
      ['build', 'step-build'],
    ]);
  });

  it.each<[string, string, string]>([
    ['keeps a #! line', '#!/usr/bin/env python3\nprint(1)', '#!/usr/bin/env python3\nprint(1)'],
    ['adds sh and set -e otherwise', 'echo hi', '#!/bin/sh\nset -e\necho hi'],
    ['an empty script runs sh', '', '#!/bin/sh\nset -e\n'],
  ])('a script %s', (_, script, want) => expect(step({ script }).script).toBe(want));

  it('merges the stepTemplate under each step', () => {
    const s = step(
      {
        name: 's',
        env: [
          { name: 'B', value: 'step' },
          { name: 'C', value: 'c' },
        ],
        computeResources: { limits: { memory: '1Gi' } },
      },
      {
        stepTemplate: {
          image: 'ignored-when-step-has-one',
          workingDir: '/w',
          env: [
            { name: 'A', value: 'a' },
            { name: 'B', value: 'template' },
          ],
          computeResources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
        },
      },
    );
    expect(s).toMatchObject({
      image: 'busybox',
      workingDir: '/w',
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: 'step' },
        { name: 'C', value: 'c' },
      ],
      computeResources: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } },
    });
  });

  it('takes the image from the stepTemplate', () => {
    expect(
      run({ stepTemplate: { image: 'tpl' }, steps: [{ script: 'true' }] }).steps[0]!.image,
    ).toBe('tpl');
  });

  it('reads a step timeout and onError', () => {
    expect(step({ timeout: '1m30s', onError: 'continue' })).toMatchObject({
      timeoutMs: 90_000,
      onError: 'continue',
    });
    expect(step({}).onError).toBe('stopAndFail');
  });
});

describe('resolveTask: workspaces', () => {
  const spec: Partial<TaskSpec> = {
    workspaces: [
      { name: 'src', readOnly: true },
      { name: 'conf' },
      { name: 'opt', optional: true },
    ],
  };
  it('binds each declared workspace, read-only where it must be', () => {
    const t = run(
      spec,
      [],
      [
        { name: 'src', emptyDir: {} },
        { name: 'conf', configMap: { name: 'c' } },
        { name: 'unused', emptyDir: {} },
      ],
    );
    expect(t.workspaces.map((w) => [w.name, w.source, w.readOnly, w.path, w.volumeName])).toEqual([
      ['src', 'emptyDir', true, '/workspace/src', 'ws-0'],
      ['conf', 'configMap', true, '/workspace/conf', 'ws-1'],
      ['opt', undefined, false, '', 'ws-2'],
    ]);
  });
});

describe('resolveTask: errors say what to fix', () => {
  it.each<
    [
      string,
      Partial<TaskSpec>,
      Param[],
      WorkspaceBinding[],
      TaskErrorCode,
      TaskErrorSubject,
      RegExp,
    ]
  >([
    [
      'an undeclared param',
      { steps: [{ name: 's', image: 'b', script: '$(params.nope)' }] },
      [],
      [],
      'UnknownReference',
      { step: 's', reference: 'params.nope' },
      /\$\(params.nope\) in step "s" does not resolve/,
    ],
    [
      'an undeclared result',
      { steps: [{ name: 's', image: 'b', script: '$(results.x.path)' }] },
      [],
      [],
      'UnknownReference',
      { step: 's', reference: 'results.x.path' },
      /no such result/,
    ],
    [
      'an unknown workspace field',
      {
        workspaces: [{ name: 'w' }],
        steps: [{ name: 's', image: 'b', script: '$(workspaces.w.size)' }],
      },
      [],
      [{ name: 'w', emptyDir: {} }],
      'UnknownReference',
      { step: 's' },
      /workspaces.w.size/,
    ],
    [
      'an unknown context variable',
      { steps: [{ name: 's', image: 'b', script: '$(context.taskRun.bogus)' }] },
      [],
      [],
      'UnknownReference',
      { step: 's' },
      /no such context variable/,
    ],
    [
      'an array inside a string',
      {
        params: [{ name: 'a', type: 'array', default: ['x'] }],
        steps: [{ name: 's', image: 'b', script: 'echo $(params.a[*])' }],
      },
      [],
      [],
      'NotAString',
      { step: 's' },
      /step "s": .*array/,
    ],
    [
      'a missing workspace',
      { workspaces: [{ name: 'src' }], steps: [] },
      [],
      [],
      'MissingWorkspace',
      { workspace: 'src' },
      /workspace "src" is declared by the Task but the run does not bind it/,
    ],
    [
      'a binding with two sources',
      { workspaces: [{ name: 'w' }], steps: [] },
      [],
      [{ name: 'w', emptyDir: {}, secret: { secretName: 's' } }],
      'InvalidWorkspace',
      { workspace: 'w' },
      /exactly one of .* \(it names emptyDir and secret\)/,
    ],
    [
      'script and command',
      { steps: [{ name: 's', image: 'b', script: 'x', command: ['y'] }] },
      [],
      [],
      'InvalidStep',
      { step: 's' },
      /script cannot be used with command/,
    ],
    [
      'no image',
      { steps: [{ name: 's', script: 'x' }] },
      [],
      [],
      'InvalidStep',
      { step: 's' },
      /step "s": no image/,
    ],
    [
      'two steps with one name',
      {
        steps: [
          { name: 's', image: 'b' },
          { name: 's', image: 'b' },
        ],
      },
      [],
      [],
      'InvalidStep',
      { step: 's' },
      /two steps have this name/,
    ],
    [
      'a bad step name',
      { steps: [{ name: 'Build_It', image: 'b' }] },
      [],
      [],
      'InvalidStep',
      { step: 'Build_It' },
      /DNS label/,
    ],
    [
      'a bad step timeout',
      { steps: [{ name: 's', image: 'b', timeout: '5 minutes' }] },
      [],
      [],
      'InvalidDuration',
      { step: 's' },
      /timeout "5 minutes" is not a duration/,
    ],
    [
      'a missing param',
      { params: [{ name: 'url' }], steps: [] },
      [],
      [],
      'MissingParam',
      { param: 'url' },
      /"url"/,
    ],
  ])('%s', (_, spec, params, ws, code, subject, message) => {
    let err: unknown;
    try {
      run(spec, params, ws);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).reason).toBe(code);
    expect((err as TaskError).subject).toMatchObject(subject);
    expect((err as TaskError).message).toMatch(message);
  });
});
