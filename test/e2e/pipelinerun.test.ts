/**
 * PipelineRuns on the real node, through both controllers (`Pipelines`: the PipelineRun
 * controller creating TaskRuns, the TaskRun controller running their pods): a Tekton-shaped
 * Pipeline whose only change is the apiVersion — params, a result read by a later task (implied
 * order), a shared workspace, `when` skipping a branch, `finally` reading task statuses — and
 * the faults: a cycle refused before anything runs, a missing Pipeline, a failing task whose
 * dependents are skipped while `finally` runs, cancellation, and the per-namespace run limit.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PipelineRun, TaskRun } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { openRunStore, type RunStore } from '../../src/pipelines/store/index.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  condition,
  finished as finishedIn,
  startPipelines as startIn,
} from './pipeline-harness.ts';
import { onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('pr');
const API = 'sluice.dev/v1alpha1';
const finished = (k: Kube, name: string, ms?: number) => finishedIn(k, ns(), name, ms);
const startPipelines = (k: Kube, maxConcurrentRuns = 0, store?: RunStore) =>
  startIn(k, ns(), { maxConcurrentRuns, ...(store ? { store } : {}) });

/** Tekton's manifests, apiVersion changed: a build that reports a digest, a test, a deploy. */
const MANIFESTS = readFileSync(
  fileURLToPath(new URL('../../src/pipelines/local/testdata/tekton-ci.yaml', import.meta.url)),
  'utf8',
);

async function apply(k: Kube, yaml: string): Promise<void> {
  for (const doc of parseAllDocuments(yaml)) {
    const obj = doc.toJS() as KubeObject;
    await k.create({ ...obj, metadata: { ...obj.metadata, namespace: ns() } });
  }
}

function pipelineRun(name: string, spec: object): PipelineRun {
  return {
    apiVersion: API,
    kind: 'PipelineRun',
    metadata: { name, namespace: ns() },
    spec: {
      taskRunTemplate: { podTemplate: onRealNode },
      workspaces: [
        {
          name: 'shared',
          volumeClaimTemplate: {
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
          },
        },
      ],
      ...spec,
    },
  };
}

async function taskRuns(k: Kube): Promise<Record<string, TaskRun>> {
  const list = await k.list<TaskRun>(API, 'TaskRun', { namespace: ns() });
  const byTask: Record<string, TaskRun> = {};
  for (const t of list.items) byTask[t.metadata.labels?.['sluice.dev/pipelineTask'] ?? ''] = t;
  return byTask;
}

describe('PipelineRuns', () => {
  it('logs and records outlive the pods, in the run store, with secret params masked', async () => {
    const k = await kube();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-runs-'));
    const store = await openRunStore({ databaseUrl: join(dir, 'runs.db') });
    onTestFinished(
      async () => (await store.close(), await rm(dir, { recursive: true, force: true })),
    );
    await startPipelines(k, 0, store);
    const run = pipelineRun('logged', {
      workspaces: [],
      params: [{ name: 'token', value: 's3cr3t-t0ken' }],
      pipelineSpec: {
        params: [{ name: 'token' }],
        tasks: [
          {
            name: 'say',
            params: [{ name: 'token', value: '$(params.token)' }],
            taskSpec: {
              params: [{ name: 'token' }],
              steps: [
                {
                  name: 'one',
                  image: 'localhost:5000/busybox:latest',
                  script: 'echo hello from one',
                },
                {
                  name: 'two',
                  image: 'localhost:5000/busybox:latest',
                  script: 'echo "token is $(params.token)"',
                },
              ],
            },
          },
        ],
      },
    });
    run.metadata.annotations = { 'sluice.dev/secret-params': 'token' };
    await k.create(run);
    const done = await finished(k, 'logged');
    expect(condition(done)?.status).toBe('True');
    // The pods go; the store keeps what they said.
    for (const p of (await k.list('v1', 'Pod', { namespace: ns() })).items) await k.delete(p);
    const ref = { kind: 'PipelineRun' as const, namespace: ns(), name: 'logged' };
    const text = await eventually('both steps stored', async () => {
      const chunks = await store.readLogs(ref);
      const all = chunks.map((c) => `${c.stream.step}:${c.text}`).join('');
      return all.includes('one:hello from one') && all.includes('two:token is') ? all : undefined;
    });
    expect(text).toContain('two:token is ***');
    expect(text).not.toContain('s3cr3t');
    const history = await eventually('the finished record', async () => {
      const h = await store.getRun(ref);
      return h?.run.status === 'Succeeded' && h.tasks[0]?.status === 'Succeeded' ? h : undefined;
    });
    expect(history.run.params).toEqual([{ name: 'token', value: '***' }]);
    expect(history.tasks[0]?.steps.map((s) => [s.name, s.exitCode])).toEqual([
      ['one', 0],
      ['two', 0],
    ]);
  });

  it('runs a Tekton-shaped pipeline: a result orders the tasks, when skips a branch, finally reads the status', async () => {
    const k = await kube();
    await startPipelines(k);
    await apply(k, MANIFESTS);
    await k.create(
      pipelineRun('ci-1', {
        pipelineRef: { name: 'ci' },
        params: [{ name: 'version', value: '1.2.3' }],
      }),
    );
    const run = await finished(k, 'ci-1');
    expect(condition(run)).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(condition(run)?.message).toBe('Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 1');
    expect(run.status?.skippedTasks).toEqual([
      expect.objectContaining({ name: 'deploy', reason: 'When Expressions evaluated to false' }),
    ]);
    const digest = run.status?.results?.find((r) => r.name === 'image-digest')?.value;
    expect(digest).toMatch(/^[0-9a-f]{12}$/);
    const trs = await taskRuns(k);
    expect(Object.keys(trs).sort()).toEqual(['build', 'report', 'test']);
    // The test read the build's result: it started after the build finished.
    expect(Date.parse(trs['test']!.status!.startTime!)).toBeGreaterThanOrEqual(
      Date.parse(trs['build']!.status!.completionTime!) - 1000,
    );
    expect(trs['test']!.spec.params).toContainEqual({ name: 'digest', value: digest });
    expect(trs['report']!.spec.params).toContainEqual({ name: 's', value: 'Succeeded' });
    expect(run.status?.childReferences?.map((c) => c.pipelineTaskName).sort()).toEqual([
      'build',
      'report',
      'test',
    ]);
  });

  it('a failing task: its dependents are skipped, finally still runs and sees Failed', async () => {
    const k = await kube();
    await startPipelines(k);
    await apply(k, MANIFESTS);
    // The check looks for text the build never writes.
    await k.create(
      pipelineRun('ci-fail', {
        pipelineSpec: {
          workspaces: [{ name: 'shared' }],
          tasks: [
            {
              name: 'build',
              taskRef: { name: 'build' },
              params: [{ name: 'version', value: '1' }],
              workspaces: [{ name: 'src', workspace: 'shared' }],
            },
            {
              name: 'test',
              taskRef: { name: 'check' },
              params: [
                { name: 'digest', value: '$(tasks.build.results.digest)' },
                { name: 'expect', value: 'nothing-like-this' },
              ],
              workspaces: [{ name: 'src', workspace: 'shared' }],
            },
            {
              name: 'deploy',
              runAfter: ['test'],
              taskSpec: {
                steps: [{ name: 'go', image: 'localhost:5000/busybox:latest', script: 'true' }],
              },
            },
          ],
          finally: [
            {
              name: 'report',
              params: [{ name: 's', value: '$(tasks.test.status)' }],
              taskSpec: {
                params: [{ name: 's' }],
                steps: [
                  {
                    name: 'say',
                    image: 'localhost:5000/busybox:latest',
                    script: 'echo $(params.s)',
                  },
                ],
              },
            },
          ],
        },
      }),
    );
    const failed = await finished(k, 'ci-fail');
    expect(condition(failed)).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(failed.status?.skippedTasks?.map((s) => s.name)).toEqual(['deploy']);
    const trs = await taskRuns(k);
    expect(trs['report']?.spec.params).toContainEqual({ name: 's', value: 'Failed' });
    expect(condition(trs['report'] as unknown as PipelineRun)?.status).toBe('True');
  });

  it('bad input is refused before anything runs: a cycle names itself; a missing Pipeline names it', async () => {
    const k = await kube();
    await startPipelines(k);
    const step = { name: 's', image: 'localhost:5000/busybox:latest', script: 'true' };
    await k.create(
      pipelineRun('cycle', {
        workspaces: [],
        pipelineSpec: {
          tasks: [
            { name: 'a', runAfter: ['c'], taskSpec: { steps: [step] } },
            { name: 'b', runAfter: ['a'], taskSpec: { steps: [step] } },
            { name: 'c', runAfter: ['b'], taskSpec: { steps: [step] } },
          ],
        },
      }),
    );
    const cycle = await finished(k, 'cycle', 20_000);
    expect(condition(cycle)?.status).toBe('False');
    expect(condition(cycle)?.message).toMatch(/a → b → c → a|b → c → a → b|c → a → b → c/);
    await k.create(pipelineRun('missing', { workspaces: [], pipelineRef: { name: 'nope' } }));
    const missing = await finished(k, 'missing', 20_000);
    expect(condition(missing)).toMatchObject({
      status: 'False',
      reason: 'CouldntGetPipeline',
      message: `Pipeline "nope" named in spec.pipelineRef does not exist in namespace ${ns()}`,
    });
    expect(await taskRuns(k)).toEqual({});
  });

  it('runs beyond --max-concurrent-runs wait their turn in order, with their position shown', async () => {
    const k = await kube();
    await startPipelines(k, 1);
    const slow = (name: string) =>
      pipelineRun(name, {
        workspaces: [],
        pipelineSpec: {
          tasks: [
            {
              name: 'sleep',
              taskSpec: {
                steps: [{ name: 's', image: 'localhost:5000/busybox:latest', script: 'sleep 2' }],
              },
            },
          ],
        },
      });
    await k.create(slow('q1'));
    await new Promise((r) => setTimeout(r, 50));
    await k.create(slow('q2'));
    await new Promise((r) => setTimeout(r, 50));
    await k.create(slow('q3'));
    const third = await eventually('q3 queued', async () => {
      const r = await k.get<PipelineRun>(API, 'PipelineRun', ns(), 'q3');
      return condition(r)?.reason === 'Queued' ? r : undefined;
    });
    expect(third.status?.queuePosition).toBe(2);
    const runs = await Promise.all(['q1', 'q2', 'q3'].map((n) => finished(k, n)));
    expect(runs.map((r) => condition(r)?.status)).toEqual(['True', 'True', 'True']);
    // One at a time: each started after the previous one completed.
    for (let i = 1; i < runs.length; i++) {
      expect(Date.parse(runs[i]!.status!.startTime!)).toBeGreaterThanOrEqual(
        Date.parse(runs[i - 1]!.status!.completionTime!),
      );
    }
  });

  it('cancelling a run stops its pods within seconds', async () => {
    const k = await kube();
    await startPipelines(k);
    await k.create(
      pipelineRun('long', {
        workspaces: [],
        pipelineSpec: {
          tasks: [
            {
              name: 'sleep',
              taskSpec: {
                steps: [{ name: 's', image: 'localhost:5000/busybox:latest', script: 'sleep 300' }],
              },
            },
          ],
        },
      }),
    );
    await eventually(
      'the task running',
      async () => {
        const trs = await taskRuns(k);
        return trs['sleep']?.status?.steps?.[0]?.running ? true : undefined;
      },
      60_000,
    );
    const live = await k.get<PipelineRun>(API, 'PipelineRun', ns(), 'long');
    const t0 = Date.now();
    await k.mergePatch(live!, { spec: { status: 'Cancelled' } });
    const done = await finished(k, 'long', 30_000);
    expect(condition(done)).toMatchObject({ status: 'False', reason: 'Cancelled' });
    await eventually(
      'its pod gone',
      async () => {
        const pods = await k.list('v1', 'Pod', { namespace: ns() });
        return pods.items.every(
          (p) =>
            p.metadata.deletionTimestamp ||
            (p as { status?: { phase?: string } }).status?.phase !== 'Running',
        )
          ? true
          : undefined;
      },
      15_000,
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
