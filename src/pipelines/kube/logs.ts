/**
 * Following one step's log while it runs: the CLI's `pipeline logs -f` and the log store call
 * `followStepLogs`. It waits (watching the pod, no polling) until the step's container has
 * started, streams its log (pods/log, container `step-<name>`, follow) to `onChunk` as it is
 * written, and resolves when the container has ended — or at once, saying so, when the step will
 * never run (the TaskRun ended before it, its pod is gone).
 *
 * @example
 * const end = await followStepLogs(kube, { namespace: 'ci', name: 'build-run' }, 'compile',
 *   (text) => process.stdout.write(text), signal);
 * // end: { outcome: 'finished', exitCode: 0 } | { outcome: 'skipped', reason } | ...
 */
import type { TaskRun } from '../../api/pipeline.ts';
import { API_VERSION } from '../../api/application.ts';
import type { Kube } from '../../kube/api.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ContainerState, Pod } from './pods.ts';

export type StepLogEnd =
  | { outcome: 'finished'; exitCode: number }
  /** The step will never run: its TaskRun ended first, or its pod is gone. */
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'cancelled' };

export interface FollowOptions {
  /** Which attempt's pod (default: the TaskRun's current `status.podName`). */
  podName?: string;
  /** Prefix each line with its RFC 3339 time (pods/log `timestamps`). */
  timestamps?: boolean;
}

const stepContainer = (step: string): string => `step-${step}`;

function containerState(pod: Pod, container: string): ContainerState | undefined {
  const all = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return all.find((s) => s.name === container)?.state;
}

const done = (tr: TaskRun | undefined): boolean =>
  tr?.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status !== 'Unknown') ?? false;

/** Waits for the TaskRun to name its pod; undefined if it ended without one. */
async function podOf(kube: Kube, ref: Ref, signal: AbortSignal): Promise<string | undefined> {
  for await (const tr of watchOne<TaskRun>(kube, API_VERSION, 'TaskRun', ref, signal)) {
    if (tr?.status?.podName) return tr.status.podName;
    if (!tr || done(tr)) return undefined;
  }
  return undefined;
}

interface Ref {
  namespace: string;
  name: string;
}

/** The object now, then every change, until the signal aborts; undefined when it is gone. */
async function* watchOne<T extends KubeObject>(
  kube: Kube,
  apiVersion: string,
  kind: string,
  ref: Ref,
  signal: AbortSignal,
): AsyncGenerator<T | undefined> {
  while (!signal.aborted) {
    const now = await kube.get<T>(apiVersion, kind, ref.namespace, ref.name);
    yield now;
    if (!now) return;
    const events = kube.watch<T>(apiVersion, kind, {
      namespace: ref.namespace,
      fieldSelector: `metadata.name=${ref.name}`,
      resourceVersion: now.metadata.resourceVersion ?? '',
      timeoutSeconds: 60,
      signal,
    });
    for await (const e of events) {
      if (e.type === 'DELETED') {
        yield undefined;
        return;
      }
      if (e.type === 'ADDED' || e.type === 'MODIFIED') yield e.object;
    }
  }
}

/**
 * Waits until `container` is in a state `ready` accepts (started; ended); undefined: it never
 * will be (the pod ended or went away first).
 */
async function until(
  kube: Kube,
  ref: Ref,
  container: string,
  ready: (s: ContainerState) => boolean,
  signal: AbortSignal,
): Promise<ContainerState | undefined> {
  for await (const pod of watchOne<Pod>(kube, 'v1', 'Pod', ref, signal)) {
    if (!pod) return undefined;
    const state = containerState(pod, container);
    if (state && ready(state)) return state;
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return undefined;
  }
  return undefined;
}

/** Streams the container's log to `onChunk`; false when the pod went away meanwhile. */
async function stream(
  kube: Kube,
  pod: Ref,
  container: string,
  onChunk: (text: string) => void,
  signal: AbortSignal,
  timestamps: boolean,
): Promise<boolean> {
  try {
    const chunks = kube.followPodLog(pod.namespace, pod.name, {
      container,
      signal,
      ...(timestamps ? { timestamps: true } : {}),
    });
    for await (const text of chunks) onChunk(text);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Follows the log of `step` of the TaskRun `ref` (see the file's comment). */
export async function followStepLogs(
  kube: Kube,
  ref: Ref,
  step: string,
  onChunk: (text: string) => void,
  signal: AbortSignal,
  options: FollowOptions = {},
): Promise<StepLogEnd> {
  const container = stepContainer(step);
  const pod = options.podName ?? (await podOf(kube, ref, signal));
  if (signal.aborted) return { outcome: 'cancelled' };
  if (!pod) return { outcome: 'skipped', reason: `TaskRun ${ref.name} ended without a pod` };
  const podRef = { namespace: ref.namespace, name: pod };
  const state = await until(kube, podRef, container, (s) => !!(s.running ?? s.terminated), signal);
  if (signal.aborted) return { outcome: 'cancelled' };
  if (!state) return { outcome: 'skipped', reason: `step "${step}" did not run` };
  const streamed = await stream(kube, podRef, container, onChunk, signal, !!options.timestamps);
  if (!streamed) return { outcome: 'skipped', reason: `pod ${pod} is gone` };
  if (signal.aborted) return { outcome: 'cancelled' };
  // The log ends as the container does; its status says so a moment later.
  const end = await until(kube, podRef, container, (s) => s.terminated !== undefined, signal);
  if (signal.aborted) return { outcome: 'cancelled' };
  return { outcome: 'finished', exitCode: end?.terminated?.exitCode ?? -1 };
}
