/**
 * PipelineRun faults on the real node: a task past its timeout (killed, dependents skipped,
 * `finally` still runs), `retries: 2` (three attempts, each a TaskRun), a step image that does
 * not exist (fails fast naming the image), a 3 × 2 matrix, and `sluice controller` killed -9
 * mid-run: the next one finishes the run — never stuck Running, no task run twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PipelineRun, PipelineTask, TaskRun } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import { controllerProcess } from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  condition,
  finished as finishedIn,
  startPipelines as startIn,
} from './pipeline-harness.ts';
import { ensureCrds, onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('prf');
const API = 'sluice.dev/v1alpha1';
const finished = (k: Kube, name: string, ms?: number) => finishedIn(k, ns(), name, ms);
const startPipelines = (k: Kube) => startIn(k, ns());
const BUSYBOX = 'localhost:5000/busybox:latest';

const task = (name: string, script: string, extra: Partial<PipelineTask> = {}): PipelineTask => ({
  name,
  taskSpec: { steps: [{ name: 'run', image: BUSYBOX, script }] },
  ...extra,
});

async function run(k: Kube, name: string, tasks: PipelineTask[], fin: PipelineTask[] = []) {
  await k.create<PipelineRun>({
    apiVersion: API,
    kind: 'PipelineRun',
    metadata: { name, namespace: ns() },
    spec: {
      taskRunTemplate: { podTemplate: onRealNode },
      pipelineSpec: { tasks, ...(fin.length ? { finally: fin } : {}) },
    },
  });
}

async function taskRuns(k: Kube): Promise<TaskRun[]> {
  return (await k.list<TaskRun>(API, 'TaskRun', { namespace: ns() })).items;
}

describe('PipelineRun faults', () => {
  it('a task past its timeout is killed; its dependents are skipped and finally still runs', async () => {
    const k = await kube();
    await startPipelines(k);
    await run(
      k,
      'slow',
      [task('slow', 'sleep 60', { timeout: '3s' }), task('after', 'true', { runAfter: ['slow'] })],
      [task('cleanup', 'echo cleaning up')],
    );
    const done = await finished(k, 'slow', 60_000);
    expect(condition(done)).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(done.status?.skippedTasks?.map((s) => s.name)).toEqual(['after']);
    const trs = await taskRuns(k);
    const byTask = (t: string) =>
      trs.find((x) => x.metadata.labels?.['sluice.dev/pipelineTask'] === t);
    expect(condition(byTask('slow'))).toMatchObject({ status: 'False', reason: 'TaskRunTimeout' });
    expect(condition(byTask('cleanup'))?.status).toBe('True');
  });

  it('retries: 2 — three attempts, each recorded as its own TaskRun', async () => {
    const k = await kube();
    await startPipelines(k);
    await run(k, 'flaky', [task('flaky', 'exit 1', { retries: 2 })]);
    const done = await finished(k, 'flaky');
    expect(condition(done)).toMatchObject({ status: 'False', reason: 'Failed' });
    const attempts = (await taskRuns(k))
      .map((t) => t.metadata.labels?.['sluice.dev/attempt'])
      .sort();
    expect(attempts).toEqual(['0', '1', '2']);
  });

  it('a step image that does not exist fails fast, naming the image', async () => {
    const k = await kube();
    await startPipelines(k);
    const t0 = Date.now();
    await k.create<PipelineRun>({
      apiVersion: API,
      kind: 'PipelineRun',
      metadata: { name: 'noimage', namespace: ns() },
      spec: {
        taskRunTemplate: { podTemplate: onRealNode },
        pipelineSpec: {
          tasks: [
            {
              name: 'pull',
              taskSpec: {
                steps: [{ name: 'x', image: 'localhost:5000/no-such-image:v9', script: 'true' }],
              },
            },
          ],
        },
      },
    });
    const done = await finished(k, 'noimage', 30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(condition(done)?.status).toBe('False');
    const [tr] = await taskRuns(k);
    expect(condition(tr)?.reason).toBe('TaskRunImagePullFailed');
    expect(condition(tr)?.message).toContain('localhost:5000/no-such-image:v9');
  });

  it('a 3 × 2 matrix fans out to six TaskRuns with their params', async () => {
    const k = await kube();
    await startPipelines(k);
    await run(k, 'matrix', [
      {
        name: 'test',
        matrix: {
          params: [
            { name: 'os', value: ['linux', 'mac', 'windows'] },
            { name: 'arch', value: ['amd64', 'arm64'] },
          ],
        },
        taskSpec: {
          params: [{ name: 'os' }, { name: 'arch' }],
          steps: [{ name: 'run', image: BUSYBOX, script: 'echo $(params.os)/$(params.arch)' }],
        },
      },
    ]);
    const done = await finished(k, 'matrix');
    expect(condition(done)?.status).toBe('True');
    const combos = (await taskRuns(k))
      .map((t) => {
        const value = (n: string): string =>
          JSON.stringify(t.spec.params?.find((x) => x.name === n)?.value);
        return `${value('os')}/${value('arch')}`;
      })
      .sort();
    expect(combos).toEqual(
      [
        'linux/amd64',
        'linux/arm64',
        'mac/amd64',
        'mac/arm64',
        'windows/amd64',
        'windows/arm64',
      ].map((c) =>
        c
          .split('/')
          .map((x) => JSON.stringify(x))
          .join('/'),
      ),
    );
  });

  it('sluice controller killed -9 mid-run: the next one finishes it, no task run twice', async () => {
    const k = await kube();
    await ensureCrds(k);
    const cache = await mkdtemp(join(tmpdir(), 'sluice-prkill-'));
    onTestFinished(() => rm(cache, { recursive: true, force: true }));
    const args = ['--destination-namespace', ns(), '--lease-duration', '3s'];
    const first = controllerProcess(ns(), cache, args, { pipelines: true });
    onTestFinished(() => void first.kill('SIGKILL'));
    await run(k, 'survives', [
      task('a', 'sleep 3'),
      task('b', 'sleep 3', { runAfter: ['a'] }),
      task('c', 'true', { runAfter: ['b'] }),
    ]);
    await eventually(
      'task a running',
      async () => ((await taskRuns(k)).some((t) => t.status?.startTime) ? true : undefined),
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = controllerProcess(ns(), cache, args, { pipelines: true });
    onTestFinished(() => void second.kill('SIGTERM'));
    const done = await finished(k, 'survives', 120_000);
    expect(condition(done)?.status).toBe('True');
    const names = (await taskRuns(k))
      .map((t) => t.metadata.labels?.['sluice.dev/pipelineTask'])
      .sort();
    expect(names).toEqual(['a', 'b', 'c']);
    const pods = await k.list('v1', 'Pod', { namespace: ns() });
    const perRun = new Map<string, number>();
    for (const p of pods.items) {
      const owner = p.metadata.ownerReferences?.[0]?.name ?? '';
      perRun.set(owner, (perRun.get(owner) ?? 0) + 1);
    }
    expect([...perRun.values()].every((n) => n === 1)).toBe(true);
  });
});
