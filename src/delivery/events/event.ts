/**
 * From a source's detection on one object to a `DeliveryEvent` (pure): the object's reference
 * and labels, its app, environment and commit, the type's title, severity and outcome, and an id
 * that is the same in every process (a hash of type, object and key).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/types.ts';
import { commitURL } from './context.ts';
import type { EventSource } from './source.ts';
import { EVENT_INFO, type DeliveryEvent, type Detection, type EventObjectRef } from './types.ts';

export function objectRef(obj: KubeObject): EventObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/** `Kind/namespace/name`: how status and messages name an object. */
export const objectKey = (o: Pick<EventObjectRef, 'kind' | 'namespace' | 'name'>): string =>
  `${o.kind}/${o.namespace}/${o.name}`;

export function eventId(type: string, object: EventObjectRef, key: string): string {
  return createHash('sha256')
    .update(`${type}\n${object.uid ?? objectKey(object)}\n${key}`)
    .digest('hex')
    .slice(0, 24);
}

export function toEvent(source: EventSource, obj: KubeObject, d: Detection): DeliveryEvent {
  const ctx = source.context(obj);
  const object = objectRef(obj);
  const info = EVENT_INFO[d.type];
  const revision = d.revision ?? ctx.revision;
  const link = commitURL(ctx.repoURL, revision);
  return {
    id: eventId(d.type, object, d.key),
    type: d.type,
    title: info.title,
    severity: info.severity,
    outcome: info.outcome,
    time: d.time,
    key: d.key,
    object,
    labels: { ...obj.metadata.labels },
    ...(ctx.app ? { app: ctx.app } : {}),
    environment: ctx.environment,
    ...(revision ? { revision } : {}),
    ...(ctx.repoURL ? { repoURL: ctx.repoURL } : {}),
    ...(link ? { commitURL: link } : {}),
    reason: d.reason,
    message: d.message,
    details: { ...d.details },
  };
}

/** Every event of `obj` now, with its detection (rearm, key) beside it. */
export function eventsOf(
  source: EventSource,
  obj: KubeObject,
  now: Date,
): Array<{ detection: Detection; event: DeliveryEvent }> {
  return source.detect(obj, now).map((detection) => ({
    detection,
    event: toEvent(source, obj, detection),
  }));
}
