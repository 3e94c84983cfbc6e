/**
 * What a TaskRun's pod says, as data (pure): the state of each step, and the outcome — pending,
 * running, succeeded (results next), or failed with Tekton's reason and a message naming the
 * step: `step "build" exited with code 2`, `step "fetch": the image "x" cannot be pulled
 * (ImagePullBackOff)`. Decisions read container states and reasons, never message text.
 */
import type { StepState } from '../../api/pipeline.ts';
import type { ResolvedStep } from '../task/resolve.ts';
import { stepVerdict } from '../task/stepend.ts';
import { type ContainerStatus, type Pod, RESULTS_CONTAINER } from './pods.ts';
import { TOOLS_CONTAINER, wrappedEnd } from './wrap.ts';

/** The reasons of a TaskRun's `Succeeded` condition (Tekton's names). */
export const TASK_RUN_REASONS = {
  started: 'Started',
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  toBeRetried: 'ToBeRetried',
  cancelled: 'TaskRunCancelled',
  timeout: 'TaskRunTimeout',
  imagePullFailed: 'TaskRunImagePullFailed',
  configError: 'CreateContainerConfigError',
  podCreationFailed: 'PodCreationFailed',
  resultTooLarge: 'TaskRunResultLargerThanAllowedLimit',
  validationFailed: 'TaskRunValidationFailed',
  couldntGetTask: 'CouldntGetTask',
  podEvicted: 'PodEvicted',
} as const;
export type TaskRunReason = (typeof TASK_RUN_REASONS)[keyof typeof TASK_RUN_REASONS];

export type PodOutcome =
  | { phase: 'pending'; message: string }
  | { phase: 'running' }
  | { phase: 'succeeded' }
  | { phase: 'failed'; reason: TaskRunReason; message: string; step?: string };

/**
 * Waiting reasons that fail the attempt. ErrImagePull too: kubelet would only try again after a
 * 10 s back-off (Tekton waits for ImagePullBackOff, some 15 s on the real node); a pull that
 * failed for a passing reason is what `spec.retries` is for.
 */
const IMAGE_PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

interface Named {
  kind: 'step' | 'sidecar' | 'results' | 'tools';
  name: string;
  container: string;
  step?: ResolvedStep;
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const all = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return all.find((s) => s.name === container);
}

function imageOf(pod: Pod, container: string): string {
  const all = [...pod.spec.initContainers, ...pod.spec.containers];
  return all.find((c) => c.name === container)?.image ?? '';
}

const label = (n: Named): string =>
  n.kind === 'results'
    ? 'the results container'
    : n.kind === 'tools'
      ? 'the container that prepares wrapped steps (it copies /bin/busybox of the helper image)'
      : `${n.kind} "${n.name}"`;

/** A container that waits for something that will not come: the reason and message. */
function stuck(pod: Pod, n: Named): PodOutcome | undefined {
  const w = statusOf(pod, n.container)?.state?.waiting;
  if (!w?.reason) return undefined;
  const detail = w.message ? `: ${w.message}` : '';
  if (IMAGE_PULL_FAILURES.has(w.reason)) {
    const image = imageOf(pod, n.container);
    return {
      phase: 'failed',
      reason: 'TaskRunImagePullFailed',
      message: `${label(n)}: the image "${image}" cannot be pulled (${w.reason})${detail}`,
      step: n.name,
    };
  }
  if (w.reason === 'CreateContainerConfigError' || w.reason === 'CreateContainerError') {
    return {
      phase: 'failed',
      reason:
        w.reason === 'CreateContainerConfigError'
          ? 'CreateContainerConfigError'
          : 'PodCreationFailed',
      message: `${label(n)} could not start (${w.reason})${detail}`,
      step: n.name,
    };
  }
  return undefined;
}

/** The first container that ended badly. */
function exited(pod: Pod, n: Named): PodOutcome | undefined {
  const t = statusOf(pod, n.container)?.state?.terminated;
  if (!t || t.exitCode === 0) return undefined;
  const end = n.step ? wrappedEnd(t.message) : undefined;
  if (n.step && end) {
    const v = stepVerdict(n.step, end);
    return { phase: 'failed', reason: 'Failed', message: v.failure ?? '', step: n.name };
  }
  const why = t.reason && t.reason !== 'Error' ? ` (${t.reason})` : '';
  return {
    phase: 'failed',
    reason: 'Failed',
    message: `${label(n)} exited with code ${t.exitCode}${why}`,
    step: n.name,
  };
}

function podFailed(pod: Pod): PodOutcome {
  const s = pod.status ?? {};
  if (s.reason === 'DeadlineExceeded')
    return {
      phase: 'failed',
      reason: 'TaskRunTimeout',
      message: `pod ${pod.metadata.name} ran past its deadline`,
    };
  const reason = s.reason === 'Evicted' ? 'PodEvicted' : 'Failed';
  const why = [s.reason, s.message].filter(Boolean).join(': ');
  return {
    phase: 'failed',
    reason,
    message: `pod ${pod.metadata.name} failed${why ? `: ${why}` : ''}`,
  };
}

function unscheduled(pod: Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  return c?.status === 'False'
    ? `pod ${pod.metadata.name} cannot be scheduled yet: ${c.message ?? c.reason ?? ''}`
    : undefined;
}

/** A pod with no container in trouble: where it stands by its phase. */
function byPhase(pod: Pod, first: string | undefined): PodOutcome {
  const phase = pod.status?.phase;
  // The results container ran last and ended well: done. Kubelet calls the pod Succeeded about
  // a second later, once it has stopped the sandbox; nothing of the run waits for that.
  const results = statusOf(pod, RESULTS_CONTAINER)?.state?.terminated;
  if (phase === 'Succeeded' || results?.exitCode === 0) return { phase: 'succeeded' };
  if (phase === 'Failed') return podFailed(pod);
  const waiting = unscheduled(pod);
  if (waiting) return { phase: 'pending', message: waiting };
  if (phase === 'Running' || statusOf(pod, first ?? '')?.state?.running)
    return { phase: 'running' };
  return { phase: 'pending', message: `pod ${pod.metadata.name} is ${phase ?? 'Pending'}` };
}

/** The outcome of the pod of a TaskRun running `steps` (and `sidecars`). */
export function podOutcome(
  pod: Pod,
  steps: readonly ResolvedStep[],
  sidecars: readonly ResolvedStep[] = [],
): PodOutcome {
  if (pod.status?.phase === 'Failed' && pod.status.reason === 'DeadlineExceeded')
    return podFailed(pod);
  const named: Named[] = [
    { kind: 'tools', name: TOOLS_CONTAINER, container: TOOLS_CONTAINER },
    ...sidecars.map((s) => ({ kind: 'sidecar' as const, name: s.name, container: s.container })),
    ...steps.map((s) => ({ kind: 'step' as const, name: s.name, container: s.container, step: s })),
    { kind: 'results', name: RESULTS_CONTAINER, container: RESULTS_CONTAINER },
  ];
  for (const n of named) {
    const bad = exited(pod, n) ?? stuck(pod, n);
    if (bad) return bad;
  }
  return byPhase(pod, steps[0]?.container);
}

type Terminated = NonNullable<StepState['terminated']>;

/** A finished step's state: what the wrapper reported for a wrapped one (wrap.ts). */
function terminatedState(
  s: ResolvedStep,
  t: Terminated,
): Pick<StepState, 'terminated' | 'terminationReason'> {
  const end = wrappedEnd(t.message);
  if (end)
    return {
      terminated: { ...t, exitCode: end.exitCode },
      terminationReason: stepVerdict(s, end).terminationReason,
    };
  return {
    terminated: t,
    terminationReason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
  };
}

/** Each step's state as the pod shows it (Tekton's `status.steps`). */
export function stepStates(pod: Pod | undefined, steps: readonly ResolvedStep[]): StepState[] {
  return steps.map((s) => {
    const st = pod ? statusOf(pod, s.container) : undefined;
    const state = st?.state ?? {};
    const t = state.terminated;
    return {
      name: s.name,
      container: s.container,
      ...(st?.imageID ? { imageID: st.imageID } : {}),
      ...(t ? terminatedState(s, t) : {}),
      ...(state.running && !t ? { running: state.running } : {}),
      ...(state.waiting && !t && !state.running ? { waiting: state.waiting } : {}),
    };
  });
}

/**
 * The steps of a TaskRun that ended: those that never finished are terminated with `reason`
 * (`Skipped` after a failed step; the TaskRun's reason on timeout or cancel), as Tekton does.
 */
export function endSteps(states: readonly StepState[], reason: string, now: string): StepState[] {
  return states.map((s) => {
    if (s.terminated) return s;
    const startedAt = s.running?.startedAt;
    return {
      name: s.name,
      ...(s.container ? { container: s.container } : {}),
      ...(s.imageID ? { imageID: s.imageID } : {}),
      terminated: {
        exitCode: 1,
        reason,
        ...(startedAt ? { startedAt } : {}),
        finishedAt: now,
      },
      terminationReason: reason,
    };
  });
}
