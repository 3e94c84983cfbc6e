/**
 * The pipelines benchmark's objects: inline Pipelines of single-step `true` tasks (a chain of
 * N, a 5-task DAG, one task), and PipelineRuns whose pods go to the real node. Pure.
 */
import type { PipelineRun, PipelineSpec, PipelineTask } from '../src/api/pipeline.ts';

export const API = 'sluice.dev/v1alpha1';
export const BUSYBOX = 'localhost:5000/busybox:latest';
/** The only step every task runs, as a Tekton user would write it. */
export const STEP = 'true';
export const STEP_CONTAINER = `step-${STEP}`;

/** Pods on the real node: its label and its taint (see `sluice dev-cluster --help`). */
export const ON_REAL_NODE = {
  nodeSelector: { 'sluice.dev/real-node': 'true' },
  tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
};

function task(name: string, runAfter: readonly string[] = []): PipelineTask {
  return {
    name,
    ...(runAfter.length ? { runAfter: [...runAfter] } : {}),
    taskSpec: { steps: [{ name: STEP, image: BUSYBOX, script: 'true' }] },
  };
}

/** `length` tasks, each after the one before: t00 -> t01 -> ... */
export function chain(length: number): PipelineSpec {
  const name = (i: number): string => `t${String(i).padStart(2, '0')}`;
  return {
    tasks: Array.from({ length }, (_, i) => task(name(i), i > 0 ? [name(i - 1)] : [])),
  };
}

/** Five tasks: fetch, then build, lint and test side by side, then publish after all three. */
export function dag5(): PipelineSpec {
  return {
    tasks: [
      task('fetch'),
      task('build', ['fetch']),
      task('lint', ['fetch']),
      task('test', ['fetch']),
      task('publish', ['build', 'lint', 'test']),
    ],
  };
}

export function single(): PipelineSpec {
  return { tasks: [task('only')] };
}

export function pipelineRun(
  name: string,
  namespace: string,
  spec: PipelineSpec,
  apiVersion = API,
): PipelineRun {
  return {
    apiVersion,
    kind: 'PipelineRun',
    metadata: { name, namespace },
    spec: { pipelineSpec: spec, taskRunTemplate: { podTemplate: ON_REAL_NODE } },
  };
}

/** The Succeeded condition's status: 'True', 'False', or undefined while it runs. */
export function outcome(run: PipelineRun | undefined): 'True' | 'False' | undefined {
  const c = run?.status?.conditions?.find((x) => x.type === 'Succeeded');
  return c?.status === 'True' || c?.status === 'False' ? c.status : undefined;
}
