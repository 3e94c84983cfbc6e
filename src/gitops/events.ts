/**
 * Kubernetes Events on Applications, so `kubectl describe application` and event-based tooling
 * see what Sluice did: a sync that succeeded or failed, and a Ready condition that changed reason
 * (source, render or preflight failures, Degraded). Only transitions are recorded, never steady
 * state, and a failure to record never fails a reconcile.
 */
import { hostname } from 'node:os';
import type { Application } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';

export type EventType = 'Normal' | 'Warning';

export async function recordEvent(
  kube: Kube,
  app: Application,
  type: EventType,
  reason: string,
  message: string,
): Promise<void> {
  const now = new Date().toISOString();
  await kube
    .create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${app.metadata.name}.`, namespace: app.metadata.namespace },
      involvedObject: {
        apiVersion: app.apiVersion,
        kind: app.kind,
        name: app.metadata.name,
        namespace: app.metadata.namespace,
        ...(app.metadata.uid ? { uid: app.metadata.uid } : {}),
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
