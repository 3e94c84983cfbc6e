/** The parts of a core/v1 Pod that its health depends on, read safely. */
import type { Condition, KubeObject } from '../kube/types.ts';
import { conditionsOf, list, num, rec, str } from './fields.ts';

export interface ContainerLike {
  name: string;
  waitingReason: string | undefined;
  waitingMessage: string | undefined;
  terminatedReason: string | undefined;
  terminatedMessage: string | undefined;
  exitCode: number | undefined;
}

export interface PodLike {
  phase: string | undefined;
  /** spec.restartPolicy; the API server defaults it to Always. */
  restartPolicy: string;
  message: string | undefined;
  reason: string | undefined;
  conditions: Condition[];
  initContainers: ContainerLike[];
  containers: ContainerLike[];
}

function readContainer(v: unknown): ContainerLike {
  const c = rec(v);
  const state = rec(c['state']);
  const waiting = rec(state['waiting']);
  const terminated = rec(state['terminated']);
  return {
    name: str(c['name']) ?? '',
    waitingReason: str(waiting['reason']),
    waitingMessage: str(waiting['message']),
    terminatedReason: str(terminated['reason']),
    terminatedMessage: str(terminated['message']),
    exitCode: num(terminated['exitCode']),
  };
}

/** Narrow a Pod to the fields health reads; never throws. */
export function readPod(obj: KubeObject): PodLike {
  const status = rec(obj['status']);
  return {
    phase: str(status['phase']),
    restartPolicy: str(rec(obj['spec'])['restartPolicy']) ?? 'Always',
    message: str(status['message']) || undefined,
    reason: str(status['reason']) || undefined,
    conditions: conditionsOf(status['conditions']),
    initContainers: list(status['initContainerStatuses']).map(readContainer),
    containers: list(status['containerStatuses']).map(readContainer),
  };
}
