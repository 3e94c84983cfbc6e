import { describe, expect, it } from 'vitest';
import type { PipelineRun, TaskRun } from '../../api/pipeline.ts';
import { childOf, childReferences, taskRunFor } from './children.ts';
import { resolvePipeline } from './resolve.ts';

const run: PipelineRun = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'PipelineRun',
  metadata: { name: 'ci-1', namespace: 'ci', uid: 'u1', labels: { team: 'a' } },
  spec: {
    pipelineRef: { name: 'ci' },
    taskRunTemplate: { podTemplate: { nodeSelector: { n: '1' } } },
  },
};

describe('children', () => {
  const start = {
    name: 'ci-1-build-r1',
    pipelineTask: 'build',
    finally: false,
    attempt: 1,
    matrixIndex: 2,
    taskRef: { name: 'build' },
    taskSpec: { steps: [{ image: 'x', script: 'true' }] },
    params: [{ name: 'p', value: 'v' }],
    workspaces: [],
    timeout: '1h0m0s',
    timeoutMs: 3_600_000,
    retries: 2,
  };

  it('a started child becomes a TaskRun owned by the run, labelled for the way back', () => {
    const tr = taskRunFor(run, start);
    expect(tr.metadata.labels).toMatchObject({
      team: 'a',
      'sluice.dev/pipelineRun': 'ci-1',
      'sluice.dev/pipelineTask': 'build',
      'sluice.dev/attempt': '1',
      'sluice.dev/matrixIndex': '2',
      'tekton.dev/pipelineRun': 'ci-1',
    });
    expect(tr.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'PipelineRun', uid: 'u1' });
    expect(tr.spec).toMatchObject({ timeout: '1h0m0s', podTemplate: { nodeSelector: { n: '1' } } });
  });

  it.each([
    [undefined, undefined, 'Pending'],
    [{ status: 'Unknown', reason: 'Running' }, '2026-01-01T00:00:00Z', 'Running'],
    [{ status: 'True', reason: 'Succeeded' }, '2026-01-01T00:00:00Z', 'Succeeded'],
    [{ status: 'False', reason: 'TaskRunTimeout' }, '2026-01-01T00:00:00Z', 'Failed'],
  ] as const)('condition %j reads as %s', (cond, startTime, want) => {
    const tr: TaskRun = {
      ...taskRunFor(run, start),
      status: {
        ...(cond ? { conditions: [{ type: 'Succeeded', ...cond }] } : {}),
        ...(startTime ? { startTime } : {}),
      },
    };
    const child = childOf(tr, run);
    expect(child).toMatchObject({
      name: 'ci-1-build-r1',
      pipelineTask: 'build',
      attempt: 1,
      matrixIndex: 2,
      status: want,
    });
    if (cond) expect(child?.reason).toBe(cond.reason);
  });

  it("another run's TaskRun is not a child", () => {
    const tr = taskRunFor({ ...run, metadata: { ...run.metadata, uid: 'other' } }, start);
    expect(childOf(tr, run)).toBeUndefined();
  });

  it('childReferences list existing and starting children once, by name', () => {
    const refs = childReferences(
      [{ name: 'b', pipelineTask: 'tb', attempt: 0, status: 'Running' }],
      [{ ...start, name: 'a', pipelineTask: 'ta' }],
    );
    expect(refs.map((r) => [r.name, r.pipelineTaskName])).toEqual([
      ['a', 'ta'],
      ['b', 'tb'],
    ]);
  });
});

describe('resolvePipeline', () => {
  const spec = {
    tasks: [
      { name: 'build', taskRef: { name: 'build' } },
      { name: 'x', taskRef: { name: 'nope' } },
    ],
  };
  it('reads the Pipeline and the Tasks it names; a missing Task is left to the engine', () => {
    const r = resolvePipeline(run, {
      pipeline: () => spec,
      task: (n) => (n === 'build' ? { steps: [] } : undefined),
    });
    expect(r).toEqual({ spec, name: 'ci', taskSpecs: { build: { steps: [] } } });
  });
  it('a missing Pipeline names itself', () => {
    expect(resolvePipeline(run, { pipeline: () => undefined, task: () => undefined })).toEqual({
      reason: 'CouldntGetPipeline',
      error: 'Pipeline "ci" named in spec.pipelineRef does not exist in namespace ci',
    });
  });
  it('a started run keeps the spec it started with', () => {
    const started = { ...run, status: { pipelineSpec: { tasks: [] } } };
    const r = resolvePipeline(started, { pipeline: () => spec, task: () => undefined });
    expect('spec' in r && r.spec).toEqual({ tasks: [] });
  });
});
