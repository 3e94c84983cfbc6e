/**
 * One reconcile of a TaskRun that has not ended, as numbered steps; each returns the status to
 * write and what to do next, never waiting for the pod (pod events bring the run back):
 *
 * 1. start: `startTime`, condition Unknown/Started
 * 2. cancelled (`spec.status: TaskRunCancelled`) → False/TaskRunCancelled, pod deleted
 * 3. past `spec.timeout` (default 1h, `0` none) → False/TaskRunTimeout, pod deleted
 * 4. the Task: `status.taskSpec`, else the inline spec, else the named Task (CouldntGetTask)
 * 5. resolution (task/): a bad param, reference or workspace → False/TaskRunValidationFailed
 * 6. the attempt's pod: made once (deterministic name, so a restarted controller adopts it),
 *    after the bound ConfigMaps/Secrets/PVCs are found and volumeClaimTemplates made
 * 7. the pod's outcome → steps, Running/Pending, failure (retried while `spec.retries` allow),
 *    or success once the results are read
 */
import type { TaskRun, TaskRunStatus, TaskSpec } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import { isTaskError } from '../task/errors.ts';
import { resolveTask, type ResolvedTask } from '../task/resolve.ts';
import { buildPod } from './pod.ts';
import type { Placement } from './placement.ts';
import { type Pod, podName, RESULTS_CONTAINER } from './pods.ts';
import { describeProblem, parseResults } from './results.ts';
import {
  canRetry,
  failed,
  retried,
  started,
  timeoutMessage,
  timeoutOf,
  withCondition,
} from './runstatus.ts';
import { podOutcome, stepStates, type TaskRunReason } from './status.ts';
import { claimsToCreate, missingSource, withClaims } from './workspaces.ts';

/** What a reconcile may use: the cluster, the caches, the clock. */
export interface RunContext {
  kube: Kube;
  now: number;
  helperImage: string;
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

const iso = (ms: number): string => new Date(ms).toISOString();

/** Seconds the pod's activeDeadlineSeconds adds to the TaskRun's timeout. */
const KUBELET_GRACE_S = 10;

/** The run fails with `reason` — or, when `spec.retries` allow, the attempt is archived. */
function fail(
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

/** Steps the Kubernetes executor cannot honour without a process of ours in the image. */
function unsupported(task: ResolvedTask): string | undefined {
  const s = task.steps.find((x) => x.timeoutMs !== undefined || x.onError === 'continue');
  if (!s) return undefined;
  const what = s.timeoutMs !== undefined ? 'a step `timeout`' : '`onError: continue`';
  return `step "${s.name}": ${what} is not supported on Kubernetes (steps run as init containers, with no wrapper process of ours in the image); use the TaskRun's timeout, or handle the error in the step's script`;
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

type Failure = { fail: TaskRunReason; message: string };
const isFailure = (x: Pod | Failure): x is Failure => !('kind' in x);

/** The PVCs of the run's volumeClaimTemplates (already made: fine). */
async function makeClaims(kube: Kube, tr: TaskRun): Promise<void> {
  for (const pvc of claimsToCreate(tr)) {
    await kube.create(pvc).catch((err: unknown) => {
      if (!(err instanceof KubeApiError && err.conflict)) throw err;
    });
  }
}

/** Creates `pod`; one made before (a controller that restarted) is adopted. */
async function submit(ctx: RunContext, pod: Pod): Promise<Pod | Failure> {
  try {
    const made = await ctx.kube.create<Pod>(pod);
    ctx.remember(made);
    return made;
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    const { namespace, name } = pod.metadata;
    const existing = err.conflict
      ? await ctx.kube.get<Pod>('v1', 'Pod', namespace, name)
      : undefined;
    if (existing) return existing;
    if (err.invalid)
      return { fail: 'PodCreationFailed', message: `the pod could not be created: ${err.message}` };
    throw err;
  }
}

/** Makes the attempt's pod; a Failure when it cannot be made. */
async function createPod(
  ctx: RunContext,
  tr: TaskRun,
  task: ResolvedTask,
  attempt: number,
  deadline: number,
): Promise<Pod | Failure | 'wait'> {
  const declared = new Set(task.workspaces.filter((w) => w.bound).map((w) => w.name));
  const existing = (tr.spec.workspaces ?? []).filter((b) => !b.volumeClaimTemplate);
  const missing = await missingSource(ctx.kube, tr.metadata.namespace, existing, declared);
  if (missing) return { fail: 'TaskRunValidationFailed', message: missing };
  const place = ctx.placement(tr);
  if (place === 'wait') return 'wait';
  await makeClaims(ctx.kube, tr);
  // Kubelet's deadline backs up ours when no controller is there: a little later, so that the
  // controller (which deletes the pod with a 1 s grace) acts first.
  const left = deadline === Infinity ? 0 : Math.ceil((deadline - ctx.now) / 1000) + KUBELET_GRACE_S;
  const pod = buildPod(task, tr, {
    helperImage: ctx.helperImage,
    attempt,
    ...(tr.spec.taskRef?.name ? { taskName: tr.spec.taskRef.name } : {}),
    ...(left > 0 ? { activeDeadlineSeconds: left } : {}),
    ...(place.node ? { nodeName: place.node } : {}),
  });
  return submit(ctx, pod);
}

/** The pod of this attempt: from the cache, made now, or gone (a Failure). */
async function podOf(
  ctx: RunContext,
  tr: TaskRun,
  task: ResolvedTask,
  s: TaskRunStatus,
  deadline: number,
): Promise<Pod | Failure | 'wait'> {
  const attempt = s.retriesStatus?.length ?? 0;
  const name = podName(tr.metadata.name, attempt);
  const cached =
    ctx.pod(tr.metadata.namespace, name) ??
    (s.podName === name
      ? await ctx.kube.get<Pod>('v1', 'Pod', tr.metadata.namespace, name)
      : undefined);
  if (cached) return cached;
  if (s.podName === name)
    return { fail: 'Failed', message: `pod ${name} was deleted before the TaskRun finished` };
  return createPod(ctx, tr, task, attempt, deadline);
}

async function succeed(
  ctx: RunContext,
  tr: TaskRun,
  task: ResolvedTask,
  pod: Pod,
  s: TaskRunStatus,
): Promise<Step> {
  const log = task.results.length
    ? await ctx.kube.podLog(tr.metadata.namespace, pod.metadata.name, {
        container: RESULTS_CONTAINER,
      })
    : '';
  const parsed = task.results.length
    ? parseResults(log, task.results)
    : { ok: true as const, results: [] };
  if (!parsed.ok) {
    const reason =
      parsed.problem.kind === 'TooLarge'
        ? 'TaskRunResultLargerThanAllowedLimit'
        : 'TaskRunValidationFailed';
    return fail(tr, s, reason, describeProblem(parsed.problem), ctx.now);
  }
  const done = withCondition(
    s,
    'True',
    'Succeeded',
    'All Steps have completed executing',
    iso(ctx.now),
  );
  return {
    status: {
      ...done,
      completionTime: iso(ctx.now),
      ...(parsed.results.length ? { results: parsed.results } : {}),
    },
  };
}

/** What steps 1-5 leave for the pod: the status so far, the Task, the deadline. */
interface Ready {
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
async function prepare(ctx: RunContext, tr: TaskRun): Promise<Step | Ready> {
  const now = ctx.now;
  const s = started(tr.status, iso(now));
  const deadline = stopped(ctx, tr, s);
  if (typeof deadline !== 'number') return deadline;
  const spec = await taskSpecOf(ctx.kube, tr);
  if (typeof spec === 'string') return fail(tr, s, 'CouldntGetTask', spec, now);
  const withSpec = { ...s, taskSpec: spec };
  const task = resolve(tr, spec, s.retriesStatus?.length ?? 0);
  if (typeof task === 'string') return fail(tr, withSpec, 'TaskRunValidationFailed', task, now);
  const refused = unsupported(task);
  if (refused) return fail(tr, withSpec, 'TaskRunValidationFailed', refused, now);
  return { s: withSpec, task, deadline };
}

/** Step 7: the pod's state as the run's. */
async function observe(ctx: RunContext, tr: TaskRun, r: Ready, pod: Pod): Promise<Step> {
  const s: TaskRunStatus = {
    ...r.s,
    podName: pod.metadata.name,
    steps: stepStates(pod, r.task.steps),
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
  };
  const outcome = podOutcome(pod, r.task.steps, r.task.sidecars);
  if (outcome.phase === 'succeeded') return succeed(ctx, tr, r.task, pod, s);
  if (outcome.phase === 'failed') {
    // A pod that ended stays for debugging; one stuck (an image that will not come) goes.
    const stuck = pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded';
    return fail(
      tr,
      s,
      outcome.reason,
      outcome.message,
      ctx.now,
      stuck ? pod.metadata.name : undefined,
    );
  }
  const requeue =
    r.deadline === Infinity ? {} : { requeueAfterMs: Math.max(1, r.deadline - ctx.now) };
  const [reason, message] =
    outcome.phase === 'pending'
      ? ['Pending', outcome.message]
      : ['Running', 'Not all Steps in the Task have finished executing'];
  return { status: withCondition(s, 'Unknown', reason, message, iso(ctx.now)), ...requeue };
}

/** Steps 1-7 for a TaskRun that has not ended. */
export async function reconcileRun(ctx: RunContext, tr: TaskRun): Promise<Step> {
  const ready = await prepare(ctx, tr);
  if ('status' in ready) return ready;
  const pod = await podOf(ctx, tr, ready.task, ready.s, ready.deadline);
  if (pod === 'wait') return { status: ready.s, requeueAfterMs: 250 };
  if (isFailure(pod)) return fail(tr, ready.s, pod.fail, pod.message, ctx.now);
  return observe(ctx, tr, ready, pod);
}
