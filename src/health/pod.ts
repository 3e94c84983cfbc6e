/**
 * core/v1 Pod, after Argo CD's health_pod.go: finished pods are Healthy or Degraded, containers
 * stuck on an image or crash-looping are Degraded, and long-running pods are Healthy when Ready.
 */
import type { KubeObject } from '../kube/types.ts';
import { describeCondition, findCondition, result } from './fields.ts';
import { readPod } from './pod-fields.ts';
import type { ContainerLike, PodLike } from './pod-fields.ts';
import type { HealthResult } from './types.ts';

/** Waiting reasons that will not clear without a change to the pod, its image or its config. */
const STUCK_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'InvalidImageName',
]);

function stuckMessage(containers: readonly ContainerLike[]): string | undefined {
  const stuck = containers.filter((c) => STUCK_REASONS.has(c.waitingReason ?? ''));
  if (stuck.length === 0) return undefined;
  return stuck
    .map((c) =>
      [`container ${c.name}`, c.waitingReason, c.waitingMessage].filter((s) => s).join(': '),
    )
    .join('; ');
}

function terminatedMessage(c: ContainerLike): string | undefined {
  const failed = (c.exitCode ?? 0) !== 0 || c.terminatedReason === 'OOMKilled';
  if (!failed) return undefined;
  if (c.terminatedMessage) return `container ${c.name}: ${c.terminatedMessage}`;
  const code = c.exitCode === undefined ? '' : ` (exit code ${c.exitCode})`;
  return `container ${c.name} terminated: ${c.terminatedReason ?? 'Error'}${code}`;
}

function failedMessage(p: PodLike): string | undefined {
  if (p.message) return p.reason ? `${p.reason}: ${p.message}` : p.message;
  if (p.reason) return p.reason;
  for (const c of [...p.initContainers, ...p.containers]) {
    const msg = terminatedMessage(c);
    if (msg) return msg;
  }
  return undefined;
}

function pendingMessage(p: PodLike): string | undefined {
  if (p.message) return p.message;
  const scheduled = findCondition(p.conditions, 'PodScheduled');
  if (scheduled?.status === 'False') return describeCondition(scheduled);
  const waiting = [...p.initContainers, ...p.containers].find((c) => c.waitingReason);
  return waiting ? `container ${waiting.name}: ${waiting.waitingReason}` : undefined;
}

function runningHealth(p: PodLike): HealthResult {
  if (p.restartPolicy !== 'Always') return result('Progressing', 'pod is running');
  const ready = findCondition(p.conditions, 'Ready');
  if (ready?.status === 'True') return result('Healthy', p.message);
  return result(
    'Progressing',
    ready ? describeCondition(ready) : 'waiting for the pod to be ready',
  );
}

/**
 * Health of a Pod. Unlike Argo CD, stuck containers make a pod Degraded whatever its
 * restartPolicy (Argo exempts Never/OnFailure pods so hook pods are not failed early).
 */
export function podHealth(obj: KubeObject): HealthResult {
  const p = readPod(obj);
  switch (p.phase) {
    case 'Succeeded':
      return result('Healthy', p.message);
    case 'Failed':
      return result('Degraded', failedMessage(p));
    case 'Pending': {
      const stuck = stuckMessage([...p.initContainers, ...p.containers]);
      return stuck ? result('Degraded', stuck) : result('Progressing', pendingMessage(p));
    }
    case 'Running': {
      const stuck = stuckMessage(p.containers);
      return stuck ? result('Degraded', stuck) : runningHealth(p);
    }
    case undefined:
      return result('Progressing', 'waiting for the pod to be scheduled');
    default:
      return result('Unknown', p.message ?? `pod phase is ${p.phase}`);
  }
}
