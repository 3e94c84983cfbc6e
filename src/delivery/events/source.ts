/**
 * An event source: one kind whose status says what happened to it. Adding a source (the
 * Promotion kind, for `promotion-awaiting-approval`) is one small file in sources/ exporting a
 * `defineSource({...})`, plus its line in sources/index.ts; nothing else changes: the watcher
 * lists and watches the kind, notifications match its events by type.
 *
 * @example
 * // sources/promotion.ts
 * export const promotions = defineSource<Promotion>({
 *   apiVersion: 'sluice.dev/v1alpha1', kind: 'Promotion', resource: 'promotions',
 *   scope: 'applications', types: ['promotion-awaiting-approval'],
 *   detect: (p) => p.status?.awaiting ? [{ type: 'promotion-awaiting-approval',
 *     key: `${p.status.awaiting.environment}/${p.status.awaiting.digest}`,
 *     time: p.status.awaiting.since, reason: 'AwaitingApproval',
 *     message: `${p.status.awaiting.environment} waits for an approval` }] : [],
 *   context: (p) => ({ environment: p.status?.awaiting?.environment ?? '' }),
 * });
 */
import type { KubeObject } from '../../kube/types.ts';
import type { Detection, EventContext, EventType } from './types.ts';

/** Which namespaces a source watches: where Applications live, or where workloads run. */
export type SourceScope = 'applications' | 'workloads';

export interface EventSource<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  /** The plural resource name (RBAC checks and messages). */
  resource: string;
  scope: SourceScope;
  /** Every type `detect` may return (for re-arming and for `sluice notification test`). */
  types: readonly EventType[];
  /** What is true of `obj` now; `now` only for states whose status carries no time. */
  detect(obj: T, now: Date): Detection[];
  context(obj: T): EventContext;
  /** Drops what `detect` and `context` never read, so the watch cache stays small. */
  slim?(obj: T): T;
}

/** A source of a narrower type as one of the registry's. */
export function defineSource<T extends KubeObject>(s: EventSource<T>): EventSource {
  return {
    apiVersion: s.apiVersion,
    kind: s.kind,
    resource: s.resource,
    scope: s.scope,
    types: s.types,
    detect: (obj, now) => s.detect(obj as T, now),
    context: (obj) => s.context(obj as T),
    ...(s.slim ? { slim: (obj: KubeObject) => (s.slim as (o: T) => T)(obj as T) } : {}),
  };
}
