/**
 * Steps 1-5 of a TaskRun's reconcile (see reconcile.ts): started, cancelled, past its timeout,
 * the Task found, resolved and accepted — or the Step that ends the run there. Also what every
 * step shares: the context a reconcile may use, and how a run fails (or is retried).
 */
import type { TaskRun, TaskRunStatus, TaskSpec } from '../../api/pipeline.ts';
import { ATTEMPT_LABEL } from '../pipelinerun/children.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { isTaskError } from '../task/errors.ts';
import { resolveTask, type ResolvedTask } from '../task/resolve.ts';
import type { Placement } from './placement.ts';
import { type Pod, podName } from './pods.ts';
import { unwrappable } from './wrap.ts';
import { canRetry, failed, retried, started, timeoutMessage, timeoutOf } from './runstatus.ts';
import type { TaskRunReason } from './status.ts';
import { withClaims } from './workspaces.ts';

/** What a reconcile may use: the cluster, the caches, the clock. */
export interface RunContext {
  kube: Kube;
  now: number;
  helperImage: string;
  /** The controller's default pod template (Tekton's `default-pod-template`). */
  defaultPodTemplate?: Record<string, unknown>;
  pod(namespace: string, name: string): Pod | undefined;
  /** A pod just created (until the cache shows it). */
  remember(pod: Pod): void;
  placement(tr: TaskRun): Placement;
}

export interface Step {
  status: TaskRunStatus;
  /** Delete this pod (cancel, timeout, a pod that cannot start). */
  deletePod?: string;
  requeueAfterMs?: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The run fails with `reason` — or, when `spec.retries` allow, the attempt is archived. */
export function fail(
  tr: TaskRun,
  s: TaskRunStatus,
  reason: TaskRunReason,
  message: string,
  now: number,
  deletePod?: string,
): Step {
  const ended = failed(s, reason, message, iso(now));
  const next = canRetry(tr, s, reason) ? retried(ended, iso(now)) : ended;
  return {
    status: next,
    ...(deletePod ? { deletePod } : {}),
    ...(next !== ended ? { requeueAfterMs: 1 } : {}),
  };
}

async function taskSpecOf(kube: Kube, tr: TaskRun): Promise<TaskSpec | string> {
  if (tr.status?.taskSpec) return tr.status.taskSpec;
  if (tr.spec.taskSpec) return tr.spec.taskSpec;
  const ref = tr.spec.taskRef?.name;
  if (!ref) return 'the TaskRun names no Task: set spec.taskRef.name or spec.taskSpec';
  const task = await kube.get<KubeObject & { spec?: TaskSpec }>(
    tr.apiVersion,
    'Task',
    tr.metadata.namespace,
    ref,
  );
  return task?.spec ?? `Task "${ref}" does not exist in namespace "${tr.metadata.namespace}"`;
}

/** Steps the Kubernetes executor cannot honour (wrap.ts), or undefined. */
function unsupported(task: ResolvedTask): string | undefined {
  for (const s of task.steps) {
    const why = unwrappable(s);
    if (why) return why;
  }
  return undefined;
}

function resolve(tr: TaskRun, spec: TaskSpec, retries: number): ResolvedTask | string {
  try {
    return resolveTask({
      spec,
      params: tr.spec.params ?? [],
      workspaces: withClaims(tr),
      context: {
        taskRunName: tr.metadata.name,
        namespace: tr.metadata.namespace,
        uid: tr.metadata.uid ?? '',
        taskName: tr.spec.taskRef?.name ?? tr.metadata.name,
        retryCount: retries,
      },
    });
  } catch (err) {
    if (isTaskError(err)) return err.message;
    throw err;
  }
}

/** What steps 1-5 leave for the pod: the status so far, the Task, the deadline. */
export interface Ready {
  s: TaskRunStatus;
  task: ResolvedTask;
  deadline: number;
}

/** Steps 2-3: the Step that ends a cancelled or timed-out run, else the run's deadline. */
function stopped(ctx: RunContext, tr: TaskRun, s: TaskRunStatus): Step | number {
  const now = ctx.now;
  // The attempt's pod by its name: one made just before a restart may not be in the status yet.
  const attempt = podName(tr.metadata.name, s.retriesStatus?.length ?? 0);
  const pod = ctx.pod(tr.metadata.namespace, attempt)?.metadata.name ?? s.podName;
  if (tr.spec.status === 'TaskRunCancelled') {
    const message = `TaskRun "${tr.metadata.name}" was cancelled. ${tr.spec.statusMessage ?? ''}`;
    return fail(tr, s, 'TaskRunCancelled', message.trim(), now, pod);
  }
  const timeout = timeoutOf(tr);
  if (timeout === undefined) {
    const message = `spec.timeout "${tr.spec.timeout}" is not a duration (e.g. 30s, 10m, 1h; 0 for none)`;
    return fail(tr, s, 'TaskRunValidationFailed', message, now);
  }
  const deadline = timeout > 0 ? Date.parse(s.startTime ?? '') + timeout : Infinity;
  if (now < deadline) return deadline;
  return fail(tr, s, 'TaskRunTimeout', timeoutMessage(tr, timeout), now, pod);
}

/** Steps 1-5: a Step when the run ends here, else what the pod needs. */
export async function prepare(ctx: RunContext, tr: TaskRun): Promise<Step | Ready> {
  const now = ctx.now;
  const s = started(tr.status, iso(now));
  const deadline = stopped(ctx, tr, s);
  if (typeof deadline !== 'number') return deadline;
  const spec = await taskSpecOf(ctx.kube, tr);
  if (typeof spec === 'string') return fail(tr, s, 'CouldntGetTask', spec, now);
  const withSpec = { ...s, taskSpec: spec };
  // `$(context.task.retry-count)`: the TaskRun's own retries, plus the attempt a PipelineRun
  // made it for (the engine starts a new TaskRun per retry).
  const attempt = Number(tr.metadata.labels?.[ATTEMPT_LABEL] ?? 0) || 0;
  const task = resolve(tr, spec, attempt + (s.retriesStatus?.length ?? 0));
  if (typeof task === 'string') return fail(tr, withSpec, 'TaskRunValidationFailed', task, now);
  const refused = unsupported(task);
  if (refused) return fail(tr, withSpec, 'TaskRunValidationFailed', refused, now);
  return { s: withSpec, task, deadline };
}
