/**
 * Waiting for objects during a sync: CRDs until Established, resources until they stop
 * Progressing, hooks until they complete. Polls the API (hooks and waves are short-lived; the
 * steady state uses watches instead).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthStatus } from '../api/application.ts';
import { assessHealth } from '../health/index.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

export interface WaitOutcome {
  status: HealthStatus | 'Timeout' | 'Gone';
  message: string;
  object?: KubeObject;
}

/** Polls until the object's health is not Progressing (or it is gone), or the timeout. */
export async function waitSettled(
  kube: Kube,
  target: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<WaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  let interval = 100;
  let last: WaitOutcome = { status: 'Timeout', message: '' };
  while (Date.now() < deadline && !signal?.aborted) {
    const live = await kube.get(
      target.apiVersion,
      target.kind,
      target.metadata.namespace,
      target.metadata.name ?? '',
    );
    if (!live) return { status: 'Gone', message: 'the object no longer exists' };
    const h = assessHealth(live);
    last = { status: h.status, message: h.message ?? '', object: live };
    if (h.status !== 'Progressing') return last;
    await sleep(interval);
    interval = Math.min(interval * 1.5, 1000);
  }
  return {
    status: 'Timeout',
    message: `still ${last.status}${last.message ? `: ${last.message}` : ''} after ${Math.round(timeoutMs / 1000)}s`,
    ...(last.object ? { object: last.object } : {}),
  };
}

/** Polls until the object is gone. */
export async function waitGone(
  kube: Kube,
  target: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      !(await kube.get(
        target.apiVersion,
        target.kind,
        target.metadata.namespace,
        target.metadata.name ?? '',
      ))
    )
      return true;
    await sleep(100);
  }
  return false;
}
