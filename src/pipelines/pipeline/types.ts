/**
 * The engine's inputs and outputs. The caller (the Kubernetes PipelineRun controller, or the local
 * executor) reports what its children — one per task attempt and matrix combination, a TaskRun
 * or a local process — are doing (`ChildState`); `plan()` answers what to start, what to cancel,
 * what was skipped and the run's condition (`Plan`). Nothing here touches Kubernetes or processes.
 */
import type {
  Param,
  PipelineRun,
  PipelineSpec,
  RunCondition,
  RunResult,
  TaskSpec,
  WhenExpression,
  WorkspaceBinding,
} from '../../api/pipeline.ts';
import type { PipelineError } from './errors.ts';

export type ChildStatus = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** The reasons a finished child reports (a TaskRun's `Succeeded` condition reason, as Tekton's). */
export const TASK_RUN_REASONS = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'TaskRunCancelled',
  timeout: 'TaskRunTimeout',
} as const;

/** One child as the caller sees it now. */
export interface ChildState {
  name: string;
  pipelineTask: string;
  /** 0 for the first try, n for the n-th retry. */
  attempt: number;
  /** The matrix combination, for a matrixed task. */
  matrixIndex?: number;
  status: ChildStatus;
  /** Why it ended: TASK_RUN_REASONS.* or a more precise failure (`TaskRunImagePullFailed`). */
  reason?: string;
  message?: string;
  results?: RunResult[];
  startTime?: string;
  completionTime?: string;
}

export interface PlanOptions {
  /**
   * Who retries a failed attempt: `engine` (default) starts a new child per attempt
   * (`<run>-<task>-r1`, ...); `child` leaves it to the child (TaskRun `spec.retries`), which then
   * reports only its final outcome.
   */
  retries?: 'engine' | 'child';
  /** `timeouts.pipeline` when the run does not set it: 1h, as Tekton. */
  defaultTimeoutMs?: number;
  /** The most combinations one matrix may fan out to: 256, as Tekton. */
  maxMatrixCombinations?: number;
}

export interface PlanInput {
  /** The run: name, namespace and uid for context variables; spec; status.startTime and finallyStartTime. */
  run: PipelineRun;
  /** The Pipeline to run (from `pipelineRef`, or `spec.pipelineSpec`), or status.pipelineSpec once started. */
  pipelineSpec: PipelineSpec;
  /** `$(context.pipeline.name)`: default `spec.pipelineRef.name`, else the run's name. */
  pipelineName?: string;
  /** The spec of every Task a `taskRef` names, by name. A missing one fails the run (CouldntGetTask). */
  taskSpecs: Readonly<Record<string, TaskSpec>>;
  children: readonly ChildState[];
  now: Date;
  options?: PlanOptions;
}

/** A child to create now. Names are deterministic: creating one that exists is a no-op. */
export interface StartChild {
  name: string;
  pipelineTask: string;
  finally: boolean;
  attempt: number;
  matrixIndex?: number;
  displayName?: string;
  taskRef?: { name: string; kind?: 'Task' };
  /** The Task's spec, with pipeline params, results and context already substituted where Tekton does. */
  taskSpec: TaskSpec;
  /** Labels and annotations from an inline `taskSpec.metadata`. */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  params: Param[];
  /** The run's volumes, bound under the Task's workspace names (subPaths joined). */
  workspaces: WorkspaceBinding[];
  /** The child's own limit, a Go duration for TaskRun `spec.timeout`; `0s` = none. */
  timeout: string;
  timeoutMs: number;
  /** The PipelineTask's `retries` (for TaskRun `spec.retries` when the child retries itself). */
  retries: number;
  /** The `when` expressions as evaluated (for childReferences). */
  whenExpressions?: WhenExpression[];
}

export type CancelCause = 'Cancelled' | 'PipelineRunTimeout' | 'TasksTimeout' | 'FinallyTimeout';

/** A running child to stop; `message` is what Tekton puts in the TaskRun's `spec.statusMessage`. */
export interface CancelChild {
  name: string;
  pipelineTask: string;
  cause: CancelCause;
  message: string;
}

/** Tekton's skipping reasons (the text is what `status.skippedTasks[].reason` shows). */
export const SKIP_REASONS = {
  when: 'When Expressions evaluated to false',
  parentSkipped: 'Parent Tasks were skipped',
  stopping: 'PipelineRun was stopping',
  gracefullyCancelled: 'PipelineRun was gracefully cancelled',
  gracefullyStopped: 'PipelineRun was gracefully stopped',
  missingResults: 'Results were missing',
  pipelineTimeout: 'PipelineRun timeout has been reached',
  tasksTimeout: 'PipelineRun Tasks timeout has been reached',
  finallyTimeout: 'PipelineRun Finally timeout has been reached',
  emptyMatrix: 'Matrix Parameters have an empty array',
} as const;
export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

export interface SkippedTask {
  name: string;
  reason: SkipReason;
  whenExpressions?: WhenExpression[];
}

/**
 * Where a pipeline task stands. Waiting: not begun, its turn has not come; Running: some child
 * is pending, running or about to be (re)started; ValidationFailed: it reads a result its task
 * did not produce (the run fails with PipelineValidationFailed).
 */
export type TaskPhase =
  'Waiting' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled' | 'Skipped' | 'ValidationFailed';

export interface TaskState {
  name: string;
  finally: boolean;
  phase: TaskPhase;
  /** The child's reason (TaskRunTimeout, ...), a skip reason, or the validation message. */
  reason?: string;
  /** Attempts so far, one starting now included (the highest attempt + 1); 0 when not begun. */
  attempts: number;
  /** Child names, current attempts only (those starting now included), in matrix order. */
  children: string[];
}

/** A PersistentVolumeClaim to create from a `volumeClaimTemplate` binding, once per run. */
export interface VolumeClaim {
  workspace: string;
  claimName: string;
  template: Record<string, unknown>;
}

export interface Plan {
  start: StartChild[];
  /** Children to stop. Cancelling twice must be harmless: the list repeats until they stop. */
  cancel: CancelChild[];
  skipped: SkippedTask[];
  /** The `Succeeded` condition (without lastTransitionTime). */
  condition: RunCondition;
  /** The run is over: perform `cancel` first, then write the condition, results and completionTime. */
  done: boolean;
  /** `status.results`, once done. */
  results: RunResult[];
  /** `status.startTime` to keep (the run's, or now on the first call); unset while pending. */
  startTime?: string;
  /** `status.finallyStartTime` to keep, once finally tasks began. */
  finallyStartTime?: string;
  /** Call plan() again by then even if no child changes (the next timeout). */
  requeueAfterMs?: number;
  tasks: TaskState[];
  volumeClaims: VolumeClaim[];
  /** Why the run cannot start (done, condition False); empty otherwise. */
  errors: PipelineError[];
  /** Harmless oddities worth telling the user (params the Pipeline does not declare, ...). */
  warnings: string[];
}
