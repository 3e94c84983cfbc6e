/**
 * CI pipelines (sluice.dev/v1alpha1): Task, Pipeline, PipelineRun and TaskRun with Tekton v1's
 * field names, so a team's Tekton manifests run by changing `apiVersion` alone. A Task is steps
 * run in order in one Pod sharing workspaces; a Pipeline is a DAG of Tasks (`runAfter`, or
 * implied by reading another task's results), with `when` guards, `retries`, `timeout`, `matrix`
 * fan-out and `finally` tasks; a PipelineRun runs one, a TaskRun runs one Task.
 *
 * The schemas are the single source of truth: types derive from them, the CRDs are generated.
 * Param values are strings, arrays of strings or objects of strings, kept as JSON.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { FreeForm, StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const TASK_KIND = 'Task';
export const PIPELINE_KIND = 'Pipeline';
export const PIPELINE_RUN_KIND = 'PipelineRun';
export const TASK_RUN_KIND = 'TaskRun';

/** A param value: a string, an array of strings, or an object of strings. */
export type ParamValue = string | string[] | Record<string, string>;
const ParamValueSchema = Type.Unsafe<ParamValue>({
  'x-kubernetes-preserve-unknown-fields': true,
  description: 'a string, an array of strings or an object of strings',
});

export const PARAM_TYPES = ['string', 'array', 'object'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const ParamSpecSchema = Type.Object({
  name: Type.String(),
  type: Opt(StringEnum(PARAM_TYPES, 'default string')),
  description: Opt(Type.String()),
  default: Opt(ParamValueSchema),
  properties: Opt(FreeForm('object params: the keys, each {type: string}')),
  enum: Opt(Type.Array(Type.String())),
});

export const ParamSchema = Type.Object({ name: Type.String(), value: ParamValueSchema });

export const ResultSpecSchema = Type.Object({
  name: Type.String(),
  type: Opt(StringEnum(PARAM_TYPES, 'default string')),
  description: Opt(Type.String()),
  properties: Opt(FreeForm()),
});

export const WorkspaceDeclarationSchema = Type.Object({
  name: Type.String(),
  description: Opt(Type.String()),
  mountPath: Opt(Type.String({ description: 'default /workspace/<name>' })),
  readOnly: Opt(Type.Boolean()),
  optional: Opt(Type.Boolean()),
});

const EnvVarSchema = FreeForm('a container env var: {name, value} or {name, valueFrom}');

export const StepSchema = Type.Object({
  name: Opt(Type.String()),
  image: Opt(Type.String()),
  script: Opt(Type.String({ description: 'run as a file; a #! line picks the interpreter' })),
  command: Opt(Type.Array(Type.String())),
  args: Opt(Type.Array(Type.String())),
  env: Opt(Type.Array(EnvVarSchema)),
  envFrom: Opt(Type.Array(FreeForm())),
  workingDir: Opt(Type.String()),
  securityContext: Opt(FreeForm()),
  computeResources: Opt(FreeForm('requests and limits, as a container resources')),
  volumeMounts: Opt(Type.Array(FreeForm())),
  imagePullPolicy: Opt(Type.String()),
  timeout: Opt(Type.String({ description: 'a Go duration: 30s, 5m, 1h' })),
  onError: Opt(StringEnum(['continue', 'stopAndFail'] as const)),
});

export const TaskSpecSchema = Type.Object({
  description: Opt(Type.String()),
  displayName: Opt(Type.String()),
  params: Opt(Type.Array(ParamSpecSchema)),
  results: Opt(Type.Array(ResultSpecSchema)),
  workspaces: Opt(Type.Array(WorkspaceDeclarationSchema)),
  steps: Type.Array(StepSchema),
  stepTemplate: Opt(FreeForm('defaults merged into every step')),
  sidecars: Opt(Type.Array(FreeForm())),
  volumes: Opt(Type.Array(FreeForm())),
});

export const TaskRefSchema = Type.Object({
  name: Type.String(),
  kind: Opt(StringEnum(['Task'] as const)),
});

export const WhenExpressionSchema = Type.Object({
  input: Type.String(),
  operator: StringEnum(['in', 'notin'] as const),
  values: Type.Array(Type.String()),
});

export const WorkspacePipelineTaskBindingSchema = Type.Object({
  name: Type.String(),
  workspace: Opt(Type.String({ description: "the Pipeline's workspace; default: same name" })),
  subPath: Opt(Type.String()),
});

export const MatrixSchema = Type.Object({
  params: Opt(Type.Array(Type.Object({ name: Type.String(), value: Type.Array(Type.String()) }))),
  include: Opt(
    Type.Array(
      Type.Object({
        name: Opt(Type.String()),
        params: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
      }),
    ),
  ),
});

export const PipelineTaskSchema = Type.Object({
  name: Type.String(),
  displayName: Opt(Type.String()),
  taskRef: Opt(TaskRefSchema),
  taskSpec: Opt(
    Type.Object({
      ...TaskSpecSchema.properties,
      metadata: Opt(Type.Object({ labels: Opt(StringMap()), annotations: Opt(StringMap()) })),
    }),
  ),
  runAfter: Opt(Type.Array(Type.String())),
  params: Opt(Type.Array(ParamSchema)),
  workspaces: Opt(Type.Array(WorkspacePipelineTaskBindingSchema)),
  when: Opt(Type.Array(WhenExpressionSchema)),
  retries: Opt(Type.Integer({ minimum: 0 })),
  timeout: Opt(Type.String({ description: 'a Go duration; 0 means none' })),
  matrix: Opt(MatrixSchema),
  onError: Opt(
    StringEnum(
      ['continue', 'stopAndFail'] as const,
      'continue: a failure of this task does not stop or fail the run (default stopAndFail)',
    ),
  ),
});

export const PipelineResultSchema = Type.Object({
  name: Type.String(),
  type: Opt(StringEnum(PARAM_TYPES)),
  description: Opt(Type.String()),
  value: ParamValueSchema,
});

export const PipelineSpecSchema = Type.Object({
  description: Opt(Type.String()),
  displayName: Opt(Type.String()),
  params: Opt(Type.Array(ParamSpecSchema)),
  workspaces: Opt(
    Type.Array(
      Type.Object({
        name: Type.String(),
        description: Opt(Type.String()),
        optional: Opt(Type.Boolean()),
      }),
    ),
  ),
  results: Opt(Type.Array(PipelineResultSchema)),
  tasks: Type.Array(PipelineTaskSchema),
  finally: Opt(Type.Array(PipelineTaskSchema)),
});

/** What a workspace is bound to in a run: one of the volume sources. */
export const WorkspaceBindingSchema = Type.Object({
  name: Type.String(),
  subPath: Opt(Type.String()),
  emptyDir: Opt(FreeForm()),
  configMap: Opt(FreeForm('{name, items?}')),
  secret: Opt(FreeForm('{secretName, items?}')),
  persistentVolumeClaim: Opt(Type.Object({ claimName: Type.String() })),
  volumeClaimTemplate: Opt(
    FreeForm('a PersistentVolumeClaim; one is made per run and deleted with it'),
  ),
});

export const TimeoutsSchema = Type.Object({
  pipeline: Opt(Type.String({ description: 'default 1h; 0 means none' })),
  tasks: Opt(Type.String()),
  finally: Opt(Type.String()),
});

const PodTemplateSchema = FreeForm('nodeSelector, tolerations, securityContext, ... for the pods');

export const PIPELINE_RUN_SPEC_STATUSES = [
  'Cancelled',
  'CancelledRunFinally',
  'StoppedRunFinally',
  'PipelineRunPending',
] as const;

export const PipelineRunSpecSchema = Type.Object({
  pipelineRef: Opt(Type.Object({ name: Type.String() })),
  pipelineSpec: Opt(PipelineSpecSchema),
  params: Opt(Type.Array(ParamSchema)),
  workspaces: Opt(Type.Array(WorkspaceBindingSchema)),
  timeouts: Opt(TimeoutsSchema),
  status: Opt(StringEnum(PIPELINE_RUN_SPEC_STATUSES)),
  taskRunTemplate: Opt(
    Type.Object({
      serviceAccountName: Opt(Type.String()),
      podTemplate: Opt(PodTemplateSchema),
    }),
  ),
});

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
});

export const RunResultSchema = Type.Object({
  name: Type.String(),
  type: Opt(StringEnum(PARAM_TYPES)),
  value: ParamValueSchema,
});

export const ChildReferenceSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  pipelineTaskName: Type.String(),
  whenExpressions: Opt(Type.Array(WhenExpressionSchema)),
});

export const PipelineRunStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  startTime: Opt(Type.String()),
  completionTime: Opt(Type.String()),
  pipelineSpec: Opt(PipelineSpecSchema),
  childReferences: Opt(Type.Array(ChildReferenceSchema)),
  skippedTasks: Opt(
    Type.Array(
      Type.Object({
        name: Type.String(),
        reason: Type.String(),
        whenExpressions: Opt(Type.Array(WhenExpressionSchema)),
      }),
    ),
  ),
  results: Opt(Type.Array(RunResultSchema)),
  finallyStartTime: Opt(Type.String()),
  /** Sluice: the position in the namespace's queue while waiting for a concurrency slot. */
  queuePosition: Opt(Type.Integer()),
});

export const TASK_RUN_SPEC_STATUSES = ['TaskRunCancelled'] as const;

export const TaskRunSpecSchema = Type.Object({
  taskRef: Opt(TaskRefSchema),
  taskSpec: Opt(TaskSpecSchema),
  params: Opt(Type.Array(ParamSchema)),
  workspaces: Opt(Type.Array(WorkspaceBindingSchema)),
  timeout: Opt(Type.String({ description: 'default 1h; 0 means none' })),
  status: Opt(StringEnum(TASK_RUN_SPEC_STATUSES)),
  statusMessage: Opt(Type.String()),
  serviceAccountName: Opt(Type.String()),
  podTemplate: Opt(PodTemplateSchema),
  retries: Opt(Type.Integer({ minimum: 0, description: 'Sluice: attempts after the first' })),
});

export const StepStateSchema = Type.Object({
  name: Type.String(),
  container: Opt(Type.String()),
  imageID: Opt(Type.String()),
  terminationReason: Opt(
    Type.String({ description: 'Completed, Continued, Skipped, TaskRunTimeout, TaskRunCancelled' }),
  ),
  waiting: Opt(Type.Object({ reason: Opt(Type.String()), message: Opt(Type.String()) })),
  running: Opt(Type.Object({ startedAt: Opt(Type.String()) })),
  terminated: Opt(
    Type.Object({
      exitCode: Type.Integer(),
      reason: Opt(Type.String()),
      message: Opt(Type.String()),
      startedAt: Opt(Type.String()),
      finishedAt: Opt(Type.String()),
    }),
  ),
});

const TaskRunAttemptSchema = Type.Object({
  conditions: Opt(Type.Array(ConditionSchema)),
  podName: Opt(Type.String()),
  startTime: Opt(Type.String()),
  completionTime: Opt(Type.String()),
});

export const TaskRunStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  podName: Opt(Type.String()),
  startTime: Opt(Type.String()),
  completionTime: Opt(Type.String()),
  steps: Opt(Type.Array(StepStateSchema)),
  results: Opt(Type.Array(RunResultSchema)),
  taskSpec: Opt(TaskSpecSchema),
  retriesStatus: Opt(Type.Array(TaskRunAttemptSchema)),
  /** Sluice: the node the pod ran on (tasks of a run sharing a PVC workspace follow it). */
  nodeName: Opt(Type.String()),
});

export type ParamSpec = Static<typeof ParamSpecSchema>;
export type Param = Static<typeof ParamSchema>;
export type ResultSpec = Static<typeof ResultSpecSchema>;
export type Step = Static<typeof StepSchema>;
export type TaskSpec = Static<typeof TaskSpecSchema>;
export type WhenExpression = Static<typeof WhenExpressionSchema>;
export type Matrix = Static<typeof MatrixSchema>;
export type PipelineTask = Static<typeof PipelineTaskSchema>;
export type PipelineSpec = Static<typeof PipelineSpecSchema>;
export type WorkspaceBinding = Static<typeof WorkspaceBindingSchema>;
export type PipelineRunSpec = Static<typeof PipelineRunSpecSchema>;
export type PipelineRunStatus = Static<typeof PipelineRunStatusSchema>;
export type TaskRunSpec = Static<typeof TaskRunSpecSchema>;
export type TaskRunStatus = Static<typeof TaskRunStatusSchema>;
export type StepState = Static<typeof StepStateSchema>;
export type RunCondition = Static<typeof ConditionSchema>;
export type RunResult = Static<typeof RunResultSchema>;

type Named = ObjectMeta & { name: string; namespace: string };

export interface Task extends KubeObject {
  metadata: Named;
  spec: TaskSpec;
}

export interface Pipeline extends KubeObject {
  metadata: Named;
  spec: PipelineSpec;
}

export interface PipelineRun extends KubeObject {
  metadata: Named;
  spec: PipelineRunSpec;
  status?: PipelineRunStatus;
}

export interface TaskRun extends KubeObject {
  metadata: Named;
  spec: TaskRunSpec;
  status?: TaskRunStatus;
}

/**
 * The reasons of the `Succeeded` condition, as Tekton's (scripts and dashboards read them).
 * Unknown: Pending, Running, Started, PipelineRunPending; True: Succeeded, Completed;
 * False: Failed, PipelineRunTimeout / TaskRunTimeout, Cancelled, a validation reason.
 */
export const RUN_REASONS = {
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  pipelineTimeout: 'PipelineRunTimeout',
  taskTimeout: 'TaskRunTimeout',
  validationFailed: 'PipelineValidationFailed',
  taskValidationFailed: 'TaskValidationFailed',
  imagePullFailed: 'TaskRunImagePullFailed',
  queued: 'Queued',
} as const;
