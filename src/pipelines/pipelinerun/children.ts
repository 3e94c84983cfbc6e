/**
 * A PipelineRun's children, the TaskRuns it makes, both ways: a `StartChild` of the engine's
 * plan becomes a TaskRun object (labelled with the run, its pipeline task, attempt, matrix index
 * and whether it is a `finally` task; owned by the run), and a TaskRun the cache holds becomes
 * the `ChildState` the engine reads. Pure.
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_RUN_KIND,
  TASK_RUN_KIND,
  type PipelineRun,
  type TaskRun,
} from '../../api/pipeline.ts';
import type { ChildState, ChildStatus, StartChild } from '../pipeline/index.ts';

export const RUN_LABEL = 'sluice.dev/pipelineRun';
export const TASK_LABEL = 'sluice.dev/pipelineTask';
export const ATTEMPT_LABEL = 'sluice.dev/attempt';
export const MATRIX_LABEL = 'sluice.dev/matrixIndex';
export const FINALLY_LABEL = 'sluice.dev/finally';
/** Tekton's own labels, so its dashboards and queries find our TaskRuns too. */
export const TEKTON_RUN_LABEL = 'tekton.dev/pipelineRun';
export const TEKTON_TASK_LABEL = 'tekton.dev/pipelineTask';

/** The TaskRun a plan's start entry asks for. */
export function taskRunFor(run: PipelineRun, c: StartChild): TaskRun {
  const podTemplate = run.spec.taskRunTemplate?.podTemplate;
  const serviceAccountName = run.spec.taskRunTemplate?.serviceAccountName;
  return {
    apiVersion: API_VERSION,
    kind: TASK_RUN_KIND,
    metadata: {
      name: c.name,
      namespace: run.metadata.namespace,
      labels: {
        ...c.metadata?.labels,
        ...run.metadata.labels,
        [RUN_LABEL]: run.metadata.name,
        [TASK_LABEL]: c.pipelineTask,
        [ATTEMPT_LABEL]: String(c.attempt),
        [TEKTON_RUN_LABEL]: run.metadata.name,
        [TEKTON_TASK_LABEL]: c.pipelineTask,
        ...(c.matrixIndex !== undefined ? { [MATRIX_LABEL]: String(c.matrixIndex) } : {}),
        ...(c.finally ? { [FINALLY_LABEL]: 'true' } : {}),
      },
      ...(c.metadata?.annotations ? { annotations: { ...c.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: PIPELINE_RUN_KIND,
          name: run.metadata.name,
          uid: run.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      ...(c.taskRef ? { taskRef: c.taskRef } : {}),
      taskSpec: c.taskSpec,
      params: c.params,
      workspaces: c.workspaces,
      timeout: c.timeout,
      ...(podTemplate ? { podTemplate } : {}),
      ...(serviceAccountName ? { serviceAccountName } : {}),
    },
  };
}

function statusOf(tr: TaskRun): { status: ChildStatus; reason?: string; message?: string } {
  const c = tr.status?.conditions?.find((x) => x.type === 'Succeeded');
  const detail = {
    ...(c?.reason ? { reason: c.reason } : {}),
    ...(c?.message ? { message: c.message } : {}),
  };
  if (c?.status === 'True') return { status: 'Succeeded', ...detail };
  if (c?.status === 'False') return { status: 'Failed', ...detail };
  return { status: tr.status?.startTime ? 'Running' : 'Pending', ...detail };
}

/** What the engine needs to know of a TaskRun; undefined when it is not one of this run's. */
export function childOf(tr: TaskRun, run: PipelineRun): ChildState | undefined {
  const labels = tr.metadata.labels ?? {};
  if (labels[RUN_LABEL] !== run.metadata.name) return undefined;
  const owned = (tr.metadata.ownerReferences ?? []).some((r) => r.uid === run.metadata.uid);
  const task = labels[TASK_LABEL];
  if (!owned || !task) return undefined;
  const matrix = labels[MATRIX_LABEL];
  const s = tr.status;
  return {
    name: tr.metadata.name,
    pipelineTask: task,
    attempt: Number(labels[ATTEMPT_LABEL] ?? 0) || 0,
    ...(matrix !== undefined ? { matrixIndex: Number(matrix) } : {}),
    ...statusOf(tr),
    ...(s?.results ? { results: s.results } : {}),
    ...(s?.startTime ? { startTime: s.startTime } : {}),
    ...(s?.completionTime ? { completionTime: s.completionTime } : {}),
  };
}

/** `status.childReferences`: every child that exists or starts now, in name order. */
export function childReferences(
  children: readonly ChildState[],
  started: readonly StartChild[],
): Array<{ apiVersion: string; kind: string; name: string; pipelineTaskName: string }> {
  const all = new Map<string, string>();
  for (const c of children) all.set(c.name, c.pipelineTask);
  for (const s of started) all.set(s.name, s.pipelineTask);
  return [...all]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, pipelineTaskName]) => ({
      apiVersion: API_VERSION,
      kind: TASK_RUN_KIND,
      name,
      pipelineTaskName,
    }));
}
