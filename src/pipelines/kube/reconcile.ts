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
 *
 * Steps 1-5 are in prepare.ts.
 */
import type { TaskRun, TaskRunStatus } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { ResolvedTask } from '../task/resolve.ts';
import { buildPod } from './pod.ts';
import { type Pod, podName, RESULTS_CONTAINER } from './pods.ts';
import { fail, iso, prepare, type Ready, type RunContext, type Step } from './prepare.ts';
import { describeProblem, parseResults } from './results.ts';
import { withCondition } from './runstatus.ts';
import { podOutcome, stepStates, type TaskRunReason } from './status.ts';
import { claimsToCreate, missingSource } from './workspaces.ts';

export type { RunContext, Step } from './prepare.ts';

/** Seconds the pod's activeDeadlineSeconds adds to the TaskRun's timeout. */
const KUBELET_GRACE_S = 10;

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
    ...(ctx.defaultPodTemplate ? { defaultPodTemplate: ctx.defaultPodTemplate } : {}),
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

/** Step 7: the pod's state as the run's. */
/** Outcomes of a container that waits for something that will not come: its pod is deleted. */
const STUCK_REASONS: ReadonlySet<string> = new Set<TaskRunReason>([
  'TaskRunImagePullFailed',
  'CreateContainerConfigError',
  'PodCreationFailed',
]);

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
    // A pod that ended, or whose step exited (kubelet calls it Failed a moment later), stays for
    // debugging with its logs; one stuck waiting (an image that will not come) goes.
    const stuck =
      STUCK_REASONS.has(outcome.reason) &&
      pod.status?.phase !== 'Failed' &&
      pod.status?.phase !== 'Succeeded';
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
