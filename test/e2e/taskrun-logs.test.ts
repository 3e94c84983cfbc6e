/**
 * Following a step's log while it runs (what `sluice pipeline logs -f` and the log store call),
 * a step that never runs reported as skipped, native sidecars beside the steps, and a controller
 * that restarts mid-run: the run finishes on the pod it had, which is never made twice.
 */
import { describe, expect, it } from 'vitest';
import { followStepLogs } from '../../src/pipelines/kube/logs.ts';
import { kube, useNamespace } from './harness.ts';
import {
  BUSYBOX,
  createTaskRun,
  ended,
  getTaskRun,
  startTaskRuns,
  stepRunning,
  succeeded,
} from './taskrun-harness.ts';

const ns = useNamespace('trlog');

describe('step logs', () => {
  it('follows each step’s log as it is written, in order, with its exit code', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    const signal = new AbortController().signal;
    // Followed from before the TaskRun exists: the follow waits for the pod and the step.
    await createTaskRun(k, ns(), 'talk', {
      taskSpec: {
        steps: [
          {
            name: 'count',
            image: BUSYBOX,
            script: 'for i in 1 2 3; do echo line $i; sleep 1; done',
          },
          { name: 'fail', image: BUSYBOX, script: 'echo bye; exit 4' },
          { name: 'never', image: BUSYBOX, script: 'echo never' },
        ],
      },
    });
    const seen: Array<[number, string]> = [];
    const t0 = Date.now();
    const first = await followStepLogs(
      k,
      { namespace: ns(), name: 'talk' },
      'count',
      (t) => seen.push([Date.now() - t0, t]),
      signal,
    );
    expect(first).toEqual({ outcome: 'finished', exitCode: 0 });
    expect(seen.map(([, t]) => t).join('')).toBe('line 1\nline 2\nline 3\n');
    // Live: the first line arrived well before the last was written.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)![0] - seen[0]![0]).toBeGreaterThan(1000);
    let text = '';
    const second = await followStepLogs(
      k,
      { namespace: ns(), name: 'talk' },
      'fail',
      (t) => (text += t),
      signal,
    );
    expect(second).toEqual({ outcome: 'finished', exitCode: 4 });
    expect(text).toBe('bye\n');
    const third = await followStepLogs(
      k,
      { namespace: ns(), name: 'talk' },
      'never',
      () => undefined,
      signal,
    );
    expect(third).toMatchObject({ outcome: 'skipped' });
  });
});

describe('sidecars and restarts', () => {
  it('runs a sidecar beside the steps, and stops it when they are done', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'with-sidecar', {
      taskSpec: {
        results: [{ name: 'answer' }],
        sidecars: [
          {
            name: 'server',
            image: BUSYBOX,
            script:
              'mkdir -p /tmp/www && echo 42 > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
          },
        ],
        steps: [
          {
            name: 'ask',
            image: BUSYBOX,
            script:
              'for i in $(seq 50); do wget -q -O $(results.answer.path) http://127.0.0.1:8080/ && exit 0; sleep 0.2; done; exit 1',
          },
        ],
      },
    });
    const tr = await ended(k, ns(), 'with-sidecar');
    expect(succeeded(tr)?.reason).toBe('Succeeded');
    expect(tr.status?.results).toEqual([{ name: 'answer', value: '42\n' }]);
  });

  it('finishes a run on the same pod after the controller restarts mid-run', async () => {
    const k = await kube();
    const first = await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'survivor', {
      taskSpec: {
        results: [{ name: 'out' }],
        steps: [
          { name: 'work', image: BUSYBOX, script: 'sleep 4; echo done > $(results.out.path)' },
        ],
      },
    });
    const running = await stepRunning(k, ns(), 'survivor', 'work');
    const uid = (await k.get('v1', 'Pod', ns(), 'survivor-pod'))?.metadata.uid;
    await first.stop();
    await startTaskRuns(k, ns());
    const tr = await ended(k, ns(), 'survivor');
    expect(succeeded(tr)?.reason).toBe('Succeeded');
    expect(tr.status?.results).toEqual([{ name: 'out', value: 'done\n' }]);
    expect(tr.status?.startTime).toBe(running.status?.startTime);
    expect((await k.get('v1', 'Pod', ns(), 'survivor-pod'))?.metadata.uid).toBe(uid);
    expect((await getTaskRun(k, ns(), 'survivor'))?.status?.retriesStatus).toBeUndefined();
  });
});
