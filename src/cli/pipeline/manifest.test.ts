/** What `start`, `rerun` and `cancel` write, decided from flags and the run as read. */
import { describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../api/pipeline.ts';
import { SluiceError } from '../../errors.ts';
import { cancelPatch, rerunOf, startRun } from './manifest.ts';

const run = (condition?: {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
}): PipelineRun => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'PipelineRun',
  metadata: {
    name: 'ci-run-abcde',
    generateName: 'ci-run-',
    namespace: 'ci',
    uid: 'u1',
    labels: { team: 'web', 'tekton.dev/pipeline': 'ci', 'sluice.dev/x': 'y' },
  },
  spec: {
    pipelineRef: { name: 'ci' },
    params: [{ name: 'version', value: '1' }],
    workspaces: [{ name: 'shared', emptyDir: {} }],
    status: 'Cancelled',
  },
  status: {
    startTime: '2030-01-01T00:00:00Z',
    ...(condition ? { conditions: [{ type: 'Succeeded', ...condition }] } : {}),
  },
});

describe('startRun', () => {
  it('names the run after the Pipeline and carries params, workspaces, pod template, timeouts', () => {
    const r = startRun({
      pipeline: 'ci',
      namespace: 'ci',
      params: [{ name: 'version', value: '2' }],
      workspaces: [{ name: 'shared', emptyDir: {} }],
      podTemplate: { nodeSelector: { a: 'b' } },
      serviceAccount: 'builder',
      timeouts: { pipeline: '1h', tasks: '30m' },
      labels: { team: 'web' },
    });
    expect(r).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: { generateName: 'ci-run-', namespace: 'ci', labels: { team: 'web' } },
      spec: {
        pipelineRef: { name: 'ci' },
        params: [{ name: 'version', value: '2' }],
        workspaces: [{ name: 'shared', emptyDir: {} }],
        timeouts: { pipeline: '1h', tasks: '30m' },
        taskRunTemplate: {
          serviceAccountName: 'builder',
          podTemplate: { nodeSelector: { a: 'b' } },
        },
      },
    });
  });

  it('takes a name prefix and leaves out what was not given', () => {
    expect(
      startRun({ pipeline: 'ci', namespace: 'x', params: [], workspaces: [], prefix: 'nightly-' }),
    ).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: { generateName: 'nightly-', namespace: 'x' },
      spec: { pipelineRef: { name: 'ci' } },
    });
  });

  it('refuses a timeout that is not a Go duration (exit 2)', () => {
    const start = () =>
      startRun({
        pipeline: 'ci',
        namespace: 'x',
        params: [],
        workspaces: [],
        timeouts: { pipeline: '10 minutes' },
      });
    expect(start).toThrow(/--timeout "10 minutes" is not a duration/);
  });
});

describe('rerunOf', () => {
  it("copies spec, params and the user labels, not spec.status nor the controllers' labels", () => {
    const r = rerunOf(run({ status: 'False', reason: 'Cancelled' }));
    expect(r.metadata).toEqual({
      generateName: 'ci-run-',
      namespace: 'ci',
      labels: { team: 'web' },
      annotations: { 'sluice.dev/rerun-of': 'ci-run-abcde' },
    });
    expect(r.spec).toEqual({
      pipelineRef: { name: 'ci' },
      params: [{ name: 'version', value: '1' }],
      workspaces: [{ name: 'shared', emptyDir: {} }],
    });
    expect(r).not.toHaveProperty('status');
  });

  it('changes the params given', () => {
    expect(rerunOf(run(), [{ name: 'version', value: '2' }]).spec.params).toEqual([
      { name: 'version', value: '2' },
    ]);
  });
});

describe('cancelPatch', () => {
  it.each([
    [
      'a running run',
      { status: 'Unknown', reason: 'Running' },
      'CancelledRunFinally',
      { spec: { status: 'CancelledRunFinally' } },
    ],
    [
      'a queued run',
      { status: 'Unknown', reason: 'Queued' },
      'StoppedRunFinally',
      { spec: { status: 'StoppedRunFinally' } },
    ],
    [
      'a run already being cancelled that way',
      { status: 'Unknown', reason: 'Running' },
      'Cancelled',
      undefined,
    ],
  ] as const)('%s', (_what, condition, mode, want) => {
    expect(cancelPatch(run(condition), mode)).toEqual(want);
  });

  it.each([
    [{ status: 'True', reason: 'Succeeded' }, /already finished \(Succeeded\)/],
    [
      { status: 'False', reason: 'PipelineRunTimeout' },
      /already finished \(Failed, PipelineRunTimeout\)/,
    ],
  ] as const)('refuses a run that is over: %j (exit 1)', (condition, message) => {
    let err: unknown;
    try {
      cancelPatch(run(condition), 'Cancelled');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).exitCode).toBe(1);
    expect((err as SluiceError).message).toMatch(message);
  });
});
