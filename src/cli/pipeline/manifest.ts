/**
 * The objects the `sluice pipeline` write commands send, decided from what was typed and what
 * was read. Pure.
 *
 * | command        | writes                                                              |
 * |----------------|---------------------------------------------------------------------|
 * | start PIPELINE | a PipelineRun, `generateName: <pipeline>-run-`, pipelineRef, params |
 * | rerun RUN      | a PipelineRun with RUN's spec (not its spec.status), params, labels |
 * | cancel RUN     | merge patch `spec.status: Cancelled` (or CancelledRunFinally, ...)  |
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_RUN_KIND,
  type Param,
  type PipelineRun,
  type PipelineRunSpec,
  type WorkspaceBinding,
} from '../../api/pipeline.ts';
import { SluiceError } from '../../errors.ts';
import type { KubeObject, ObjectMeta } from '../../kube/types.ts';
import { parseGoDuration } from '../../pipelines/pipeline/index.ts';
import { usageError } from '../app/flags.ts';
import { runState } from './view.ts';

/** A PipelineRun not created yet: its name may be left to the server (`generateName`). */
export interface NewPipelineRun extends KubeObject {
  metadata: ObjectMeta & { namespace: string };
  spec: PipelineRunSpec;
}

/** Marks a rerun with the run it repeats. */
export const RERUN_ANNOTATION = 'sluice.dev/rerun-of';

export interface StartInput {
  pipeline: string;
  namespace: string;
  params: Param[];
  workspaces: WorkspaceBinding[];
  podTemplate?: Record<string, unknown> | undefined;
  serviceAccount?: string | undefined;
  timeouts?: { pipeline?: string; tasks?: string; finally?: string } | undefined;
  labels?: Record<string, string> | undefined;
  /** The name prefix (`tkn --prefix-name`); default `<pipeline>-run-`. */
  prefix?: string | undefined;
}

/** Checks each timeout is a Go duration (`1h30m`, `0` = none), as the CRD expects. */
function timeoutsOf(t: StartInput['timeouts']): PipelineRunSpec['timeouts'] | undefined {
  const entries = Object.entries(t ?? {}).filter(([, v]) => v !== undefined);
  for (const [k, v] of entries) {
    if (parseGoDuration(v) === undefined)
      throw usageError(
        `--${k === 'pipeline' ? 'timeout' : `${k}-timeout`} "${v}" is not a duration`,
        'e.g. 30m, 1h30m, 0 for none',
      );
  }
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The PipelineRun `sluice pipeline start` creates. */
export function startRun(i: StartInput): NewPipelineRun {
  const timeouts = timeoutsOf(i.timeouts);
  const taskRunTemplate = {
    ...(i.serviceAccount ? { serviceAccountName: i.serviceAccount } : {}),
    ...(i.podTemplate ? { podTemplate: i.podTemplate } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    metadata: {
      generateName: i.prefix ?? `${i.pipeline}-run-`,
      namespace: i.namespace,
      ...(i.labels && Object.keys(i.labels).length > 0 ? { labels: i.labels } : {}),
    },
    spec: {
      pipelineRef: { name: i.pipeline },
      ...(i.params.length > 0 ? { params: i.params } : {}),
      ...(i.workspaces.length > 0 ? { workspaces: i.workspaces } : {}),
      ...(timeouts ? { timeouts } : {}),
      ...(Object.keys(taskRunTemplate).length > 0 ? { taskRunTemplate } : {}),
    },
  };
}

/** Labels the controller (ours or Tekton's) writes: not copied to a rerun. */
const OWN_LABEL = /^(sluice\.dev|tekton\.dev)\//;

/** A new PipelineRun with the same spec and params as `run` (overridden by `params`). */
export function rerunOf(run: PipelineRun, params?: Param[]): NewPipelineRun {
  const { status: _requested, ...spec } = run.spec;
  const labels = Object.fromEntries(
    Object.entries(run.metadata.labels ?? {}).filter(([k]) => !OWN_LABEL.test(k)),
  );
  const base = run.spec.pipelineRef?.name ?? run.metadata.name;
  return {
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    metadata: {
      generateName: run.metadata.generateName ?? `${base}-run-`,
      namespace: run.metadata.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations: { [RERUN_ANNOTATION]: run.metadata.name },
    },
    spec: { ...spec, ...(params ? { params } : {}) },
  };
}

export const CANCEL_MODES = ['Cancelled', 'CancelledRunFinally', 'StoppedRunFinally'] as const;
export type CancelMode = (typeof CANCEL_MODES)[number];

/** The merge patch that cancels `run`; exit 1 when it is already over. */
export function cancelPatch(
  run: PipelineRun,
  mode: CancelMode,
): { spec: { status: CancelMode } } | undefined {
  const { state, reason } = runState(run);
  if (state === 'Succeeded' || state === 'Failed' || state === 'Cancelled') {
    throw new SluiceError(
      'RunFinished',
      `PipelineRun/${run.metadata.namespace}/${run.metadata.name} has already finished (${state}${reason && reason !== state ? `, ${reason}` : ''}): nothing to cancel`,
      { hint: `\`sluice pipeline rerun ${run.metadata.name}\` runs it again` },
    );
  }
  if (run.spec.status === mode) return undefined;
  return { spec: { status: mode } };
}
