/** `sluice pipeline get` as data and as text, from a run and its TaskRuns at a given moment. */
import { describe, expect, it } from 'vitest';
import type { PipelineRun, PipelineSpec, TaskRun } from '../../api/pipeline.ts';
import { renderRun, renderRuns, runRow } from './render.ts';
import { runState, runView, type TaskState } from './view.ts';

const NOW = new Date('2030-01-01T12:02:00Z');
const step = { steps: [{ name: 's', image: 'busybox', script: 'true' }] };
const SPEC: PipelineSpec = {
  tasks: [
    { name: 'build', taskSpec: step },
    { name: 'test', runAfter: ['build'], taskSpec: step, retries: 2 },
    { name: 'lint', runAfter: ['build'], taskSpec: step },
    { name: 'deploy', runAfter: ['test', 'lint'], taskSpec: step },
  ],
  finally: [{ name: 'report', taskSpec: step }],
};

function run(condition?: { status: 'True' | 'False' | 'Unknown'; reason: string }): PipelineRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: {
      name: 'ci-run-x',
      namespace: 'ci',
      uid: 'u1',
      creationTimestamp: '2030-01-01T12:00:00Z',
    },
    spec: { pipelineRef: { name: 'ci' }, params: [{ name: 'version', value: '1.2' }] },
    status: {
      startTime: '2030-01-01T12:00:00Z',
      pipelineSpec: SPEC,
      ...(condition ? { conditions: [{ type: 'Succeeded', ...condition }] } : {}),
      ...(condition?.status !== 'Unknown' ? { completionTime: '2030-01-01T12:01:30Z' } : {}),
    },
  };
}

/** A TaskRun of the run: `status` True/False/Unknown, started and (if over) ended at these seconds. */
function tr(
  task: string,
  status: 'True' | 'False' | 'Unknown' | 'none',
  times: [number, number?] | [] = [],
  extra: { attempt?: number; matrix?: number; reason?: string } = {},
): TaskRun {
  const at = (s: number) => new Date(Date.parse('2030-01-01T12:00:00Z') + s * 1000).toISOString();
  const [start, end] = times;
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'TaskRun',
    metadata: {
      name: `ci-run-x-${task}${extra.matrix !== undefined ? `-${extra.matrix}` : ''}${extra.attempt ? `-r${extra.attempt}` : ''}`,
      namespace: 'ci',
      labels: {
        'sluice.dev/pipelineRun': 'ci-run-x',
        'sluice.dev/pipelineTask': task,
        'sluice.dev/attempt': String(extra.attempt ?? 0),
        ...(extra.matrix !== undefined ? { 'sluice.dev/matrixIndex': String(extra.matrix) } : {}),
      },
      ownerReferences: [
        { apiVersion: 'sluice.dev/v1alpha1', kind: 'PipelineRun', name: 'ci-run-x', uid: 'u1' },
      ],
    },
    spec: {},
    status: {
      ...(status !== 'none'
        ? {
            conditions: [
              {
                type: 'Succeeded',
                status,
                reason:
                  extra.reason ??
                  (status === 'True' ? 'Succeeded' : status === 'False' ? 'Failed' : 'Running'),
              },
            ],
          }
        : {}),
      ...(start !== undefined ? { startTime: at(start) } : {}),
      ...(end !== undefined ? { completionTime: at(end) } : {}),
    },
  };
}

const states = (r: PipelineRun, trs: TaskRun[]): Record<string, TaskState> =>
  Object.fromEntries(runView(r, trs, SPEC, NOW).tasks.map((t) => [t.name, t.state]));

describe('runView: task states', () => {
  it.each<[string, PipelineRun, TaskRun[], Record<string, TaskState>]>([
    [
      'nothing started yet',
      run({ status: 'Unknown', reason: 'Running' }),
      [],
      { build: 'Waiting', test: 'Waiting', lint: 'Waiting', deploy: 'Waiting', report: 'Waiting' },
    ],
    [
      'build done, test running, lint pending',
      run({ status: 'Unknown', reason: 'Running' }),
      [tr('build', 'True', [0, 10]), tr('test', 'Unknown', [11]), tr('lint', 'none')],
      {
        build: 'Succeeded',
        test: 'Running',
        lint: 'Pending',
        deploy: 'Waiting',
        report: 'Waiting',
      },
    ],
    [
      'a failed attempt with retries left is Retrying; the retry running makes it Running',
      run({ status: 'Unknown', reason: 'Running' }),
      [tr('build', 'True', [0, 10]), tr('test', 'False', [11, 20])],
      {
        build: 'Succeeded',
        test: 'Retrying',
        lint: 'Waiting',
        deploy: 'Waiting',
        report: 'Waiting',
      },
    ],
    [
      'timed out, cancelled, skipped, never run',
      {
        ...run({ status: 'False', reason: 'PipelineRunTimeout' }),
        status: {
          ...run({ status: 'False', reason: 'PipelineRunTimeout' }).status,
          skippedTasks: [{ name: 'deploy', reason: 'Parent Tasks were skipped' }],
        },
      },
      [
        tr('build', 'True', [0, 10]),
        tr('test', 'False', [11, 90], { reason: 'TaskRunTimeout' }),
        tr('lint', 'False', [11, 90], { reason: 'TaskRunCancelled' }),
      ],
      {
        build: 'Succeeded',
        test: 'TimedOut',
        lint: 'Cancelled',
        deploy: 'Skipped',
        report: 'NotRun',
      },
    ],
  ])('%s', (_what, r, trs, want) => {
    expect(states(r, trs)).toEqual(want);
  });

  it('counts attempts and matrix combinations, and times a task from its first start', () => {
    const r = run({ status: 'Unknown', reason: 'Running' });
    const v = runView(
      r,
      [
        tr('build', 'True', [0, 10]),
        tr('test', 'False', [11, 20]),
        tr('test', 'Unknown', [21], { attempt: 1 }),
        tr('lint', 'True', [11, 15], { matrix: 0 }),
        tr('lint', 'Unknown', [11], { matrix: 1 }),
        tr('lint', 'none', [], { matrix: 2 }),
      ],
      SPEC,
      NOW,
    );
    const test = v.tasks.find((t) => t.name === 'test');
    expect(test).toMatchObject({ state: 'Running', attempts: 2, durationMs: 109_000 });
    expect(v.tasks.find((t) => t.name === 'lint')).toMatchObject({
      state: 'Running',
      matrix: { total: 3, done: 1 },
    });
    expect(v.tasks.find((t) => t.name === 'build')).toMatchObject({ durationMs: 10_000 });
  });

  it('ignores TaskRuns another run owns', () => {
    const other = tr('build', 'True', [0, 10]);
    other.metadata.ownerReferences = [
      { apiVersion: 'x', kind: 'PipelineRun', name: 'ci-run-x', uid: 'u2' },
    ];
    expect(states(run({ status: 'Unknown', reason: 'Running' }), [other]).build).toBe('Waiting');
  });
});

describe('runState', () => {
  it.each([
    [undefined, 'Pending'],
    [{ status: 'Unknown', reason: 'Queued' }, 'Queued'],
    [{ status: 'Unknown', reason: 'Running' }, 'Running'],
    [{ status: 'True', reason: 'Completed' }, 'Succeeded'],
    [{ status: 'False', reason: 'Cancelled' }, 'Cancelled'],
    [{ status: 'False', reason: 'PipelineValidationFailed' }, 'Failed'],
  ] as const)('%j is %s', (c, want) => {
    expect(runState(run(c)).state).toBe(want);
  });
});

describe('renderRun', () => {
  const r = run({ status: 'Unknown', reason: 'Running' });
  r.spec.status = 'CancelledRunFinally';
  const text = renderRun(
    runView(
      r,
      [tr('build', 'True', [0, 12.5]), tr('test', 'Unknown', [13]), tr('lint', 'True', [13, 15])],
      SPEC,
      NOW,
    ),
    NOW,
  );

  it('summarises the run: pipeline, status, what was requested, age, duration, params', () => {
    expect(text).toMatch(/Pipeline: +ci\n/);
    expect(text).toMatch(/Status: +Running CancelledRunFinally requested\n/);
    expect(text).toMatch(/Started: +2m ago \(2030-01-01T12:00:00Z\)/);
    expect(text).toMatch(/Duration: +2m00s/);
    expect(text).toMatch(/Params: +version=1\.2/);
  });

  it('draws the graph with each task state and duration, finally last', () => {
    const table = text.slice(text.indexOf('TASK'));
    expect(table.split('\n').map((l) => l.trimEnd())).toEqual([
      'TASK           STATUS      DURATION   INFO',
      'build          Succeeded   12.5s',
      '├─ test        Running     1m47s',
      '└─ lint        Succeeded   2.0s',
      '   └─ deploy   Waiting                also after test',
      'finally',
      '└─ report      Waiting',
      '',
    ]);
  });
});

describe('renderRuns', () => {
  it('lists runs with status (and reason), age and duration', () => {
    const done = runView(run({ status: 'False', reason: 'PipelineRunTimeout' }), [], SPEC, NOW);
    expect(renderRuns([runRow(done)], false, NOW)).toBe(
      'NAME       PIPELINE   STATUS                        STARTED   DURATION\n' +
        'ci-run-x   ci         Failed (PipelineRunTimeout)   2m ago    1m30s\n',
    );
  });
});
