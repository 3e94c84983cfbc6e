/**
 * Helpers of the local executor's tests (not a test file): runs with a temp work dir removed
 * after each test, inline tasks of `/bin/sh` scripts, and readers of conditions, params, logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PipelineRun, PipelineTask, RunCondition, TaskRun } from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';
import { runLocal, type LocalEvent, type LocalRunOptions } from './index.ts';

export const API = 'sluice.dev/v1alpha1';
export const IMAGE = 'localhost:5000/busybox:latest';
export const TEKTON = parseAllDocuments(
  readFileSync(new URL('testdata/tekton-ci.yaml', import.meta.url), 'utf8'),
).map((d) => d.toJS() as KubeObject);

const dirs: string[] = [];

/** Removes the work dirs of each test after it (call once per test file). */
export function cleanWorkDirs(): void {
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
}

export async function workDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sluice-local-test-'));
  dirs.push(d);
  return d;
}

export const shared = { name: 'shared', volumeClaimTemplate: { spec: {} } };

export function pipelineRun(name: string, spec: PipelineRun['spec']): PipelineRun {
  return { apiVersion: API, kind: 'PipelineRun', metadata: { name, namespace: 'ci' }, spec };
}

/** A run of inline tasks (`finally` too), each task's steps `/bin/sh` scripts. */
export function inline(name: string, tasks: PipelineTask[], fin: PipelineTask[] = []): PipelineRun {
  return pipelineRun(name, {
    workspaces: [shared],
    pipelineSpec: { workspaces: [{ name: 'shared' }], tasks, finally: fin },
  });
}

export const sh = (
  name: string,
  script: string,
  extra: Partial<PipelineTask> = {},
): PipelineTask => ({
  name,
  taskSpec: { steps: [{ name: 'run', image: IMAGE, script }] },
  ...extra,
});

export async function run(
  o: Partial<LocalRunOptions> & { documents: KubeObject[] },
  on: (e: LocalEvent) => void = () => {},
) {
  const events: LocalEvent[] = [];
  const onEvent = (e: LocalEvent) => {
    events.push(e);
    on(e);
  };
  const out = await runLocal({ workDir: await workDir(), ...o, onEvent });
  const byTask = (t: string) =>
    out.taskRuns.filter((x) => x.metadata.labels?.['sluice.dev/pipelineTask'] === t);
  return { ...out, events, byTask };
}

export const cond = (o: { status?: { conditions?: RunCondition[] } } | undefined) =>
  o?.status?.conditions?.find((c) => c.type === 'Succeeded');
export const param = (tr: TaskRun | undefined, name: string) =>
  tr?.spec.params?.find((p) => p.name === name)?.value;
export const logs = (events: LocalEvent[], task: string) =>
  events.flatMap((e) => (e.type === 'log' && e.task === task ? [e.line] : []));

/** The process has ended (a zombie waiting for its reaper counts as ended), within 3 s. */
export async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    const stat = `/proc/${pid}/stat`;
    const zombie = existsSync(stat) && readFileSync(stat, 'utf8').split(' ')[2] === 'Z';
    try {
      process.kill(pid, 0);
      if (zombie) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
