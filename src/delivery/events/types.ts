/**
 * The delivery event model: what happened to an Application, a Rollout or a PipelineRun (and,
 * later, a Promotion), as typed data that notifications, DORA and promotion can share.
 *
 * Events are read off objects' status, never reported by the controllers that write it: a source
 * (sources/*.ts) looks at one object and says what is true of it now (`Detection`s, each with a
 * `key` naming the occurrence and the `time` it happened, from status fields that a restart does
 * not change). Whoever consumes them remembers which keys it has acted on; the same object seen
 * again (a resync, a restart, a status write about something else) gives the same keys, so
 * nothing fires twice.
 *
 * This file has no imports: the CRDs (src/api/notification.ts) use its list of types.
 */

/** Every event type; names are Argo CD's trigger names without `on-`. */
export const EVENT_TYPES = [
  'sync-succeeded',
  'sync-failed',
  'health-degraded',
  'rollout-paused',
  'rollout-aborted',
  'rollout-completed',
  'pipelinerun-succeeded',
  'pipelinerun-failed',
  'promotion-awaiting-approval',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type Severity = 'info' | 'warning' | 'error';

/** What the event means for a commit: the commit status it maps to. */
export type Outcome = 'success' | 'failure' | 'pending';

export interface EventTypeInfo {
  /** A short human title: "Sync failed". */
  title: string;
  severity: Severity;
  outcome: Outcome;
}

export const EVENT_INFO: Readonly<Record<EventType, EventTypeInfo>> = {
  'sync-succeeded': { title: 'Sync succeeded', severity: 'info', outcome: 'success' },
  'sync-failed': { title: 'Sync failed', severity: 'error', outcome: 'failure' },
  'health-degraded': { title: 'Health degraded', severity: 'error', outcome: 'failure' },
  'rollout-paused': { title: 'Rollout paused', severity: 'info', outcome: 'pending' },
  'rollout-aborted': { title: 'Rollout aborted', severity: 'error', outcome: 'failure' },
  'rollout-completed': { title: 'Rollout completed', severity: 'info', outcome: 'success' },
  'pipelinerun-succeeded': { title: 'PipelineRun succeeded', severity: 'info', outcome: 'success' },
  'pipelinerun-failed': { title: 'PipelineRun failed', severity: 'error', outcome: 'failure' },
  'promotion-awaiting-approval': {
    title: 'Promotion awaiting approval',
    severity: 'warning',
    outcome: 'pending',
  },
};

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/** The object an event is about. */
export interface EventObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/** An Application, by namespace and name. */
export interface AppRef {
  namespace: string;
  name: string;
}

/**
 * What a source reads off one object now. The same occurrence always has the same `key` and
 * `time`, however often (and by whichever process) the object is read.
 */
export interface Detection {
  type: EventType;
  /** Names the occurrence: an operation's start, a run's completion, a pause's start, ... */
  key: string;
  /** When it happened, from the status (ISO 8601). */
  time: string;
  /**
   * A state with no time of its own (health Degraded, a user's pause): it is notified once while
   * it lasts, and again only after the source stopped detecting it (the consumer forgets it then).
   */
  rearm?: boolean;
  /** Why, as data (a phase or a condition reason): `Failed`, `PipelineRunTimeout`, ... */
  reason: string;
  message: string;
  revision?: string;
  /** Kind-specific values templates may use (`pipeline`, `health`, `step`, ...). */
  details?: Record<string, string>;
}

/** What an object says about where it belongs: its app, environment and source. */
export interface EventContext {
  app?: AppRef;
  environment: string;
  revision?: string;
  repoURL?: string;
}

/** One delivery event: the unit notifications send and DORA and promotion may read. */
export interface DeliveryEvent {
  /** Stable across processes: a hash of type, object and key (receivers de-duplicate on it). */
  id: string;
  type: EventType;
  title: string;
  severity: Severity;
  outcome: Outcome;
  time: string;
  /** The occurrence key (see Detection.key). */
  key: string;
  object: EventObjectRef;
  /** The object's labels (selectors match them). */
  labels: Record<string, string>;
  app?: AppRef;
  environment: string;
  /** The commit SHA the event is about, when known. */
  revision?: string;
  repoURL?: string;
  /** A link to the commit on its forge (https and scp-like repository URLs), when known. */
  commitURL?: string;
  reason: string;
  message: string;
  details: Record<string, string>;
}
