/**
 * The fields a template reads: the event's, flattened for writing (`.app.name`, `.revision`,
 * `.revisionShort`, `.object.kind`, `.details.step`, ...), the Notification's `context` map
 * (`.context.KEY`, as Argo CD's), and two links: `.url` (the object under `context.baseURL`,
 * when set) and the event's `.commitURL` (the commit on its forge).
 *
 * `checkReferences` says which references a template makes that no event can fill.
 */
import type { DeliveryEvent } from '../events/types.ts';
import { shortRevision } from '../events/context.ts';
export { commitURL } from '../events/context.ts';
import type { Context } from './template.ts';

export interface NotificationRef {
  namespace: string;
  name: string;
  context?: Record<string, string>;
  trigger?: string;
}

/** Known fields: `true` a leaf, an object its known children, `'*'` any child (maps). */
type Shape = { readonly [k: string]: true | '*' | Shape };

const OBJECT: Shape = { apiVersion: true, kind: true, namespace: true, name: true, uid: true };

export const FIELDS: Shape = {
  id: true,
  type: true,
  title: true,
  severity: true,
  outcome: true,
  time: true,
  key: true,
  object: OBJECT,
  labels: '*',
  app: { namespace: true, name: true },
  environment: true,
  revision: true,
  revisionShort: true,
  repoURL: true,
  commitURL: true,
  url: true,
  reason: true,
  message: true,
  details: '*',
  context: '*',
  notification: { namespace: true, name: true },
  trigger: true,
};

/** References (paths) that name no field; empty when all are known. */
export function checkReferences(paths: readonly (readonly string[])[]): string[] {
  const bad: string[] = [];
  for (const path of paths) {
    let shape: true | '*' | Shape = FIELDS;
    for (const seg of path) {
      if (shape === '*') {
        shape = true;
        continue;
      }
      const next: true | '*' | Shape | undefined = shape === true ? undefined : shape[seg];
      if (next === undefined) {
        bad.push(`.${path.join('.')}`);
        break;
      }
      shape = next;
    }
  }
  return bad;
}

const PLURAL: Record<string, string> = {
  Application: 'applications',
  Rollout: 'rollouts',
  PipelineRun: 'pipelineruns',
  Promotion: 'promotions',
};

function objectURL(event: DeliveryEvent, base: string | undefined): string {
  if (!base) return '';
  const kind = PLURAL[event.object.kind] ?? `${event.object.kind.toLowerCase()}s`;
  const { namespace, name } = event.object;
  return `${base.replace(/\/+$/, '')}/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** What templates see for `event` sent by notification `n`. */
export function templateContext(event: DeliveryEvent, n: NotificationRef): Context {
  const context = n.context ?? {};
  return {
    id: event.id,
    type: event.type,
    title: event.title,
    severity: event.severity,
    outcome: event.outcome,
    time: event.time,
    key: event.key,
    object: { ...event.object },
    labels: event.labels,
    app: event.app ?? { namespace: '', name: '' },
    environment: event.environment,
    revision: event.revision ?? '',
    revisionShort: shortRevision(event.revision),
    repoURL: event.repoURL ?? '',
    commitURL: event.commitURL ?? '',
    url: objectURL(event, context['baseURL']),
    reason: event.reason,
    message: event.message,
    details: event.details,
    context,
    notification: { namespace: n.namespace, name: n.name },
    trigger: n.trigger ?? '',
  };
}
