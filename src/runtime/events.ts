/**
 * Kubernetes Events on a controller's objects, so `kubectl describe` and event-based tooling see
 * what Sluice did (a sync that succeeded or failed, a Ready condition that changed reason).
 * Controllers record transitions only, never steady state; a failure to record never fails a
 * reconcile.
 */
import { hostname } from 'node:os';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

export type EventType = 'Normal' | 'Warning';

export async function recordEvent(
  kube: Kube,
  obj: KubeObject,
  type: EventType,
  reason: string,
  message: string,
): Promise<void> {
  const now = new Date().toISOString();
  await kube
    .create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        generateName: `${obj.metadata.name ?? ''}.`,
        namespace: obj.metadata.namespace ?? 'default',
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      type,
      reason,
      message: message.length > 1000 ? `${message.slice(0, 997)}...` : message,
      source: { component: 'sluice-controller', host: hostname() },
      reportingComponent: 'sluice.dev/controller',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
    .catch(() => undefined);
}
