/**
 * TaskRuns on the real node, as a Tekton user checks them: steps run in order in one pod and
 * share the workspace, results come back (and a result past 4 KB fails naming it), a failing step
 * stops the task naming the step and its exit code, a missing image fails fast naming the image,
 * a timeout and a cancel stop the pod within seconds, bad params fail before any pod is made.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.ts';
import type { TaskSpec } from '../../src/api/pipeline.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  BUSYBOX,
  createTaskRun,
  ended,
  startTaskRuns,
  stepRunning,
  succeeded,
} from './taskrun-harness.ts';

const ns = useNamespace('taskrun');

const podGone = async (name: string): Promise<true | undefined> =>
  (await (await kube()).get('v1', 'Pod', ns(), name)) ? undefined : true;

describe('TaskRun on the real node', () => {
  it('runs the steps in order, sharing the workspace, and returns the results', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    const taskSpec: TaskSpec = {
      params: [
        { name: 'greeting', default: 'hello' },
        { name: 'words', type: 'array' },
      ],
      results: [{ name: 'message' }, { name: 'count' }],
      workspaces: [{ name: 'src' }],
      steps: [
        {
          name: 'write',
          image: BUSYBOX,
          script:
            'echo "$(params.greeting)" > $(workspaces.src.path)/greeting\necho side > /workspace/side',
        },
        {
          name: 'count',
          image: BUSYBOX,
          command: ['sh', '-c', 'echo "$#" > $(results.count.path)', 'sh', '$(params.words[*])'],
        },
        {
          name: 'read',
          image: BUSYBOX,
          script:
            '#!/bin/sh\nprintf "%s from %s" "$(cat $(workspaces.src.path)/greeting)" "$(context.taskRun.name)" > $(results.message.path)\ntest -f /workspace/side',
        },
      ],
    };
    await createTaskRun(k, ns(), 'ok', {
      taskSpec,
      params: [
        { name: 'greeting', value: 'hi there' },
        { name: 'words', value: ['a', 'b c', 'd'] },
      ],
      workspaces: [{ name: 'src', emptyDir: {} }],
    });
    const tr = await ended(k, ns(), 'ok');
    expect(succeeded(tr)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(tr.status?.results).toEqual([
      { name: 'message', value: 'hi there from ok' },
      { name: 'count', value: '3\n' },
    ]);
    expect(tr.status?.podName).toBe('ok-pod');
    expect(tr.status?.steps?.map((s) => [s.name, s.container, s.terminated?.exitCode])).toEqual([
      ['write', 'step-write', 0],
      ['count', 'step-count', 0],
      ['read', 'step-read', 0],
    ]);
    const [a, b, c] = tr.status!.steps!.map((s) => s.terminated!);
    expect(a!.finishedAt! <= b!.startedAt!).toBe(true);
    expect(b!.finishedAt! <= c!.startedAt!).toBe(true);
    expect(Date.parse(tr.status!.completionTime!)).toBeGreaterThanOrEqual(
      Date.parse(tr.status!.startTime!),
    );
  });

  it('fails a result past 4096 bytes, naming it', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'big', {
      taskSpec: {
        results: [{ name: 'small' }, { name: 'huge' }],
        steps: [
          {
            image: BUSYBOX,
            script:
              'echo ok > $(results.small.path)\nhead -c 5120 /dev/zero | tr "\\0" x > $(results.huge.path)',
          },
        ],
      },
    });
    const tr = await ended(k, ns(), 'big');
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'TaskRunResultLargerThanAllowedLimit',
      message: 'result "huge" is 5120 bytes, more than the 4096 bytes a result may hold',
    });
    expect(tr.status?.results).toBeUndefined();
  });

  it('stops at a failing step, naming it and its exit code; later steps do not run', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'fails', {
      taskSpec: {
        results: [{ name: 'after' }],
        steps: [
          { name: 'prepare', image: BUSYBOX, script: 'echo preparing' },
          { name: 'build', image: BUSYBOX, script: 'echo building; exit 2' },
          { name: 'publish', image: BUSYBOX, script: 'echo ran > $(results.after.path)' },
        ],
      },
    });
    const tr = await ended(k, ns(), 'fails');
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'step "build" exited with code 2',
    });
    const steps = Object.fromEntries(tr.status!.steps!.map((s) => [s.name, s]));
    expect(steps['prepare']?.terminated?.exitCode).toBe(0);
    expect(steps['build']?.terminated?.exitCode).toBe(2);
    expect(steps['publish']?.terminationReason).toBe('Skipped');
    expect(steps['publish']?.terminated?.startedAt).toBeUndefined();
    expect(tr.status?.results).toBeUndefined();
    // The pod stays for debugging, with the failed step's log.
    const log = await k.podLog(ns(), 'fails-pod', { container: 'step-build' });
    expect(log).toBe('building\n');
  });

  it('onError: continue goes on with the exit code kept; a step past its own timeout is stopped (the image holds nothing of ours)', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    const steps = (strict: boolean): TaskSpec['steps'] => [
      { name: 'flaky', image: BUSYBOX, script: 'echo flaky; exit 3', onError: 'continue' },
      {
        name: 'slow',
        image: BUSYBOX,
        script: 'echo slow; sleep 60; echo never',
        timeout: '2s',
        ...(strict ? {} : { onError: 'continue' as const }),
      },
      {
        name: 'last',
        image: BUSYBOX,
        command: ['sh', '-c'],
        args: ['echo reached > $(results.r.path)'],
      },
    ];
    await createTaskRun(k, ns(), 'lenient', {
      taskSpec: { results: [{ name: 'r' }], steps: steps(false) },
    });
    await createTaskRun(k, ns(), 'strict', {
      taskSpec: { results: [{ name: 'r' }], steps: steps(true) },
    });
    const lenient = await ended(k, ns(), 'lenient');
    expect(succeeded(lenient)).toMatchObject({ status: 'True' });
    expect(
      lenient.status?.steps?.map((x) => [x.name, x.terminated?.exitCode, x.terminationReason]),
    ).toEqual([
      ['flaky', 3, 'Continued'],
      ['slow', expect.any(Number), 'TimeoutExceeded'],
      ['last', 0, 'Completed'],
    ]);
    expect(lenient.status?.results).toEqual([{ name: 'r', value: 'reached\n' }]);
    expect(await k.podLog(ns(), 'lenient-pod', { container: 'step-flaky' })).toBe('flaky\n');
    const strict = await ended(k, ns(), 'strict');
    expect(succeeded(strict)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'step "slow" ran past its timeout (2s) and was stopped',
    });
    expect(strict.status?.steps?.find((x) => x.name === 'last')?.terminationReason).toBe('Skipped');
    const took = Date.parse(strict.status!.completionTime!) - Date.parse(strict.status!.startTime!);
    expect(took).toBeLessThan(30_000);
  });

  it('fails fast on an image that does not exist, naming it', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    const image = 'localhost:5000/sluice-test/no-such-image:v1';
    const t0 = Date.now();
    await createTaskRun(k, ns(), 'noimage', {
      taskSpec: {
        steps: [
          { name: 'first', image: BUSYBOX, script: 'true' },
          { name: 'fetch', image, script: 'true' },
        ],
      },
    });
    const tr = await ended(k, ns(), 'noimage', 60_000);
    const seconds = (Date.now() - t0) / 1000;
    expect(succeeded(tr)?.reason).toBe('TaskRunImagePullFailed');
    expect(succeeded(tr)?.message).toContain(`step "fetch": the image "${image}" cannot be pulled`);
    // No hang: it ends at the first pull error, not after back-off retries. The speed itself is
    // a benchmark's figure (quiet machine: ~1 s); this bound only has to survive a loaded CI.
    expect(seconds).toBeLessThan(45);
    await eventually('the pod to be deleted', () => podGone('noimage-pod'), 30_000);
  });

  it('kills the pod past the timeout: TaskRunTimeout', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'slow', {
      timeout: '4s',
      taskSpec: { steps: [{ name: 'sleep', image: BUSYBOX, script: 'sleep 300' }] },
    });
    const tr = await ended(k, ns(), 'slow', 30_000);
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'TaskRunTimeout',
      message: 'TaskRun "slow" failed to finish within "4s"',
    });
    const elapsed = Date.parse(tr.status!.completionTime!) - Date.parse(tr.status!.startTime!);
    expect(elapsed).toBeLessThan(7000);
    expect(tr.status?.steps?.[0]?.terminationReason).toBe('TaskRunTimeout');
    await eventually('the pod to be deleted', () => podGone('slow-pod'), 15_000);
  });

  it('cancels within seconds: the pod is deleted, TaskRunCancelled', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'cancel-me', {
      taskSpec: { steps: [{ name: 'sleep', image: BUSYBOX, script: 'sleep 300' }] },
    });
    await stepRunning(k, ns(), 'cancel-me', 'sleep');
    const t0 = Date.now();
    await k.mergePatch(
      {
        apiVersion: API_VERSION,
        kind: 'TaskRun',
        metadata: { name: 'cancel-me', namespace: ns() },
      },
      { spec: { status: 'TaskRunCancelled', statusMessage: 'no longer needed' } },
    );
    const tr = await ended(k, ns(), 'cancel-me', 10_000);
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'TaskRunCancelled',
      message: 'TaskRun "cancel-me" was cancelled. no longer needed',
    });
    await eventually('the pod to be deleted', () => podGone('cancel-me-pod'), 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('refuses bad params before making a pod, naming the param', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'badparam', {
      taskSpec: {
        params: [{ name: 'revision' }, { name: 'flags', type: 'array', default: [] }],
        steps: [{ image: BUSYBOX, script: 'echo $(params.revision)' }],
      },
      params: [{ name: 'flags', value: 'not-an-array' }],
    });
    const tr = await ended(k, ns(), 'badparam', 15_000);
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'TaskRunValidationFailed',
      message: 'missing value for param "revision", which has no default',
    });
    expect(tr.status?.podName).toBeUndefined();
  });
});
