/**
 * Test helpers for the Pipeline engine's unit tests: a run, pipeline tasks and children built
 * from one plain default plus what a case is about, a few Task specs, the fixed clock, and the
 * YAML fixtures of ../testdata (a Pipeline, optionally a PipelineRun and Tasks, and what the
 * case expects).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type {
  ParamValue,
  PipelineRun,
  PipelineRunSpec,
  PipelineRunStatus,
  PipelineSpec,
  PipelineTask,
  TaskSpec,
} from '../../../api/pipeline.ts';
import type { ChildState, PlanInput } from '../types.ts';

/** The moment every test starts at. */
export const T0 = new Date('2026-01-01T00:00:00Z');

/** `T0 + s` seconds. */
export const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

export function run(
  spec: Partial<PipelineRunSpec> = {},
  status?: PipelineRunStatus,
  name = 'ci-1',
): PipelineRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name, namespace: 'team', uid: 'uid-1' },
    spec: { pipelineRef: { name: 'build' }, ...spec },
    ...(status ? { status } : {}),
  };
}

/** A pipeline task running Task `echo` unless the case says otherwise. */
export function task(name: string, extra: Partial<PipelineTask> = {}): PipelineTask {
  return { name, taskRef: { name: 'echo' }, ...extra };
}

/** Task specs by name: `echo` (optional msg, result out), `build` (typed results), `needs` (required param). */
export const TASKS: Record<string, TaskSpec> = {
  echo: {
    params: [{ name: 'msg', default: '' }],
    results: [{ name: 'out' }],
    steps: [{ image: 'busybox', script: 'echo "$(params.msg)" | tee $(results.out.path)' }],
  },
  build: {
    params: [{ name: 'flags', type: 'array', default: [] }],
    results: [
      { name: 'digest' },
      { name: 'tags', type: 'array' },
      {
        name: 'image',
        type: 'object',
        properties: { repo: { type: 'string' }, tag: { type: 'string' } },
      },
    ],
    workspaces: [{ name: 'src' }],
    steps: [{ image: 'busybox', script: 'true' }],
  },
  needs: {
    params: [{ name: 'target' }, { name: 'list', type: 'array', default: [] }],
    steps: [{ image: 'busybox', script: 'true' }],
  },
};

export function input(
  pipelineSpec: PipelineSpec,
  children: ChildState[] = [],
  o: { run?: PipelineRun; now?: Date; taskSpecs?: Record<string, TaskSpec> } = {},
): PlanInput {
  return {
    run: o.run ?? run(),
    pipelineSpec,
    taskSpecs: o.taskSpecs ?? TASKS,
    children,
    now: o.now ?? T0,
  };
}

/** A child of `task` (attempt 0, Succeeded), named as the engine names it for run ci-1. */
export function child(
  task: string,
  status: ChildState['status'] = 'Succeeded',
  extra: Partial<ChildState> & { out?: Record<string, ParamValue> } = {},
): ChildState {
  const { out, ...rest } = extra;
  const suffix = `${rest.matrixIndex === undefined ? '' : `-${rest.matrixIndex}`}${rest.attempt ? `-r${rest.attempt}` : ''}`;
  return {
    name: `ci-1-${task}${suffix}`,
    pipelineTask: task,
    attempt: 0,
    status,
    ...(status === 'Succeeded'
      ? { reason: 'Succeeded' }
      : status === 'Failed'
        ? { reason: 'Failed' }
        : {}),
    startTime: T0.toISOString(),
    ...(out ? { results: Object.entries(out).map(([name, value]) => ({ name, value })) } : {}),
    ...rest,
  };
}

/** One YAML fixture of ../testdata: its documents by kind (Tasks as a map), and `expect`. */
export interface Fixture {
  pipeline: PipelineSpec;
  run: PipelineRun;
  taskSpecs: Record<string, TaskSpec>;
  expect: Record<string, unknown>;
}

export function loadFixture(path: string): Fixture {
  const text = readFileSync(new URL(`../testdata/${path}`, import.meta.url), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown>);
  const byKind = (k: string) => docs.filter((d) => d['kind'] === k);
  const spec = <T>(d: Record<string, unknown> | undefined) => d?.['spec'] as T | undefined;
  const pipeline = spec<PipelineSpec>(byKind('Pipeline')[0]) ?? { tasks: [] };
  const runDoc = byKind('PipelineRun')[0];
  const taskSpecs = Object.fromEntries(
    byKind('Task').map((d) => [(d['metadata'] as { name: string }).name, spec<TaskSpec>(d)!]),
  );
  return {
    pipeline,
    run: run(spec<PipelineRunSpec>(runDoc) ?? {}),
    taskSpecs: { ...TASKS, ...taskSpecs },
    expect: byKind('Expect')[0] ?? {},
  };
}
