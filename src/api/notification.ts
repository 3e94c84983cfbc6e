/**
 * The Notification resource (sluice.dev/v1alpha1): "when these delivery events happen to these
 * objects, render these templates and send them to these destinations". Its parts are Argo CD
 * notifications' (triggers that `send` templates, templates with a `message` and per-service
 * overrides, services — here `destinations` — and a `context` map templates can read), gathered
 * in one namespaced object instead of a ConfigMap, with Kubernetes selectors instead of
 * subscription annotations.
 *
 * ```yaml
 * apiVersion: sluice.dev/v1alpha1
 * kind: Notification
 * metadata: { name: ci, namespace: team-a }
 * spec:
 *   selector: { names: ['web-*'], matchLabels: { team: a } }   # default: all in team-a
 *   triggers:
 *     - events: [pipelinerun-failed, sync-failed]
 *       send: [failure]                    # default: the built-in template of the event type
 *       destinations: [ops, chat]          # default: every destination
 *   destinations:
 *     - name: ops
 *       webhook: { url: https://hooks.example.com/ci, secretRef: { name: hook, key: hmac } }
 *     - name: chat
 *       slack: { urlSecretRef: { name: slack, key: url } }
 *     - name: status
 *       github: { repository: org/web, tokenSecretRef: { name: gh, key: token } }
 *   templates:
 *     - name: failure
 *       message: '{{ .object.kind }} {{ .object.name }} failed at {{ .revisionShort }}: {{ .message }}'
 * ```
 *
 * The status records, per destination, the last delivery and the last failure (with its reason
 * as data), and the events already notified (`notified`, with the horizon `since`), so a restarted
 * controller never sends an event twice.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { API_VERSION } from './application.ts';
import { ConditionSchema } from './pipeline.ts';
import { EVENT_TYPES } from '../delivery/events/types.ts';
import { StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const NOTIFICATION_KIND = 'Notification';
export const NOTIFICATION_API_VERSION = API_VERSION;
export { EVENT_TYPES, type EventType } from '../delivery/events/types.ts';

const SecretKeySelectorSchema = Type.Object(
  {
    name: Type.String({ description: "a Secret in the Notification's namespace" }),
    key: Type.String(),
  },
  { description: 'a key of a Secret' },
);

const DurationString = (description: string) => Opt(Type.String({ description }));

export const RetrySchema = Type.Object(
  {
    limit: Opt(
      Type.Integer({ minimum: 0, description: 'retries after a failed attempt; default 5' }),
    ),
    backoff: Opt(
      Type.Object({
        duration: DurationString('first wait, e.g. 1s (default)'),
        factor: Opt(Type.Number({ minimum: 1, description: 'default 2' })),
        maxDuration: DurationString('longest wait, e.g. 1m (default)'),
      }),
    ),
  },
  { description: 'on 5xx, 429, timeouts and connection errors (never on other 4xx)' },
);

export const WebhookDestinationSchema = Type.Object({
  url: Opt(Type.String()),
  urlSecretRef: Opt(SecretKeySelectorSchema),
  method: Opt(StringEnum(['POST', 'PUT', 'PATCH'] as const, 'default POST')),
  headers: Opt(
    Type.Array(
      Type.Object({
        name: Type.String(),
        value: Opt(Type.String()),
        valueFrom: Opt(Type.Object({ secretKeyRef: SecretKeySelectorSchema })),
      }),
    ),
  ),
  secretRef: Opt(
    Type.Object(
      { name: Type.String(), key: Type.String() },
      {
        description: 'HMAC-SHA256 key: the body is signed in `X-Sluice-Signature: sha256=<hex>`',
      },
    ),
  ),
});

export const SlackDestinationSchema = Type.Object({
  url: Opt(Type.String({ description: 'the incoming webhook URL (or urlSecretRef)' })),
  urlSecretRef: Opt(SecretKeySelectorSchema),
  channel: Opt(Type.String()),
  username: Opt(Type.String()),
  iconEmoji: Opt(Type.String()),
});

export const GitHubDestinationSchema = Type.Object({
  baseURL: Opt(Type.String({ description: 'the API root; default https://api.github.com' })),
  repository: Opt(
    Type.String({ description: "owner/name; default: from the event's repository URL" }),
  ),
  tokenSecretRef: SecretKeySelectorSchema,
});

export const GitLabDestinationSchema = Type.Object({
  baseURL: Opt(Type.String({ description: 'the API root; default https://gitlab.com/api/v4' })),
  project: Opt(
    Type.String({
      description: "a project id or path (group/name); default: from the event's repository URL",
    }),
  ),
  tokenSecretRef: SecretKeySelectorSchema,
});

export const DestinationSchema = Type.Object(
  {
    name: Type.String(),
    webhook: Opt(WebhookDestinationSchema),
    slack: Opt(SlackDestinationSchema),
    github: Opt(GitHubDestinationSchema),
    gitlab: Opt(GitLabDestinationSchema),
    retry: Opt(RetrySchema),
    timeout: DurationString('one attempt may take this long; default 10s'),
    concurrency: Opt(Type.Integer({ minimum: 1, maximum: 16, description: 'default 2' })),
  },
  { description: 'exactly one of webhook, slack, github, gitlab' },
);

/** A JSON body: an object (rendered leaf by leaf) or a string of JSON text. */
const JsonTemplate = (description: string) =>
  Type.Unsafe<unknown>({ 'x-kubernetes-preserve-unknown-fields': true, description });

export const TemplateSchema = Type.Object({
  name: Type.String(),
  message: Opt(
    Type.String({ description: 'the text: Slack text, commit status description, webhook `text`' }),
  ),
  webhook: Opt(
    Type.Object({
      body: Opt(
        JsonTemplate('a JSON object whose strings are templates, or JSON text; default the event'),
      ),
    }),
  ),
  slack: Opt(
    Type.Object({
      text: Opt(Type.String()),
      blocks: Opt(JsonTemplate('Block Kit blocks, strings templated')),
      attachments: Opt(JsonTemplate('legacy attachments, strings templated')),
    }),
  ),
  commitStatus: Opt(
    Type.Object({
      state: Opt(
        Type.String({
          description: 'GitHub/GitLab state; default from the event (success, failure, pending)',
        }),
      ),
      label: Opt(Type.String({ description: 'the status context (name); default sluice/<kind>' })),
      description: Opt(Type.String({ description: 'default: the message (140 characters)' })),
      targetURL: Opt(Type.String()),
    }),
  ),
});

export const SelectorSchema = Type.Object({
  namespaces: Opt(
    Type.Array(Type.String(), {
      description:
        "default: the Notification's own; other namespaces (or '*') only from the controller's namespace",
    }),
  ),
  kinds: Opt(Type.Array(Type.String({ description: 'Application, Rollout, PipelineRun, ...' }))),
  names: Opt(Type.Array(Type.String({ description: 'glob: * and ?' }))),
  matchLabels: Opt(StringMap("labels the event's object must carry")),
});

export const TriggerSchema = Type.Object({
  name: Opt(Type.String()),
  // Not `on`: YAML 1.1 (kubectl, Helm) reads an unquoted `on:` key as `true`.
  events: Type.Array(StringEnum(EVENT_TYPES), {
    minItems: 1,
    description: 'the event types that fire this trigger',
  }),
  send: Opt(Type.Array(Type.String(), { description: 'templates; default the built-in one' })),
  destinations: Opt(Type.Array(Type.String(), { description: 'default: all of them' })),
});

export const NotificationSpecSchema = Type.Object({
  suspend: Opt(Type.Boolean()),
  selector: Opt(SelectorSchema),
  triggers: Type.Array(TriggerSchema, { minItems: 1 }),
  destinations: Type.Array(DestinationSchema, { minItems: 1 }),
  templates: Opt(Type.Array(TemplateSchema)),
  context: Opt(
    StringMap('values templates read as {{ .context.KEY }}; `baseURL` also makes `.url`'),
  ),
});

export const DELIVERY_RESULTS = ['Delivered', 'Failed'] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/** Why a delivery failed: data, never parsed out of a message. */
export const FAILURE_REASONS = [
  'HTTPError',
  'RateLimited',
  'Timeout',
  'ConnectionError',
  'SecretNotFound',
  'TemplateError',
  'MissingRevision',
  'MissingRepository',
  'QueueFull',
  'Cancelled',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const DeliveryRecordSchema = Type.Object({
  time: Type.String(),
  event: StringEnum(EVENT_TYPES),
  eventID: Type.String(),
  object: Type.String({ description: 'Kind/namespace/name' }),
  result: StringEnum(DELIVERY_RESULTS),
  attempts: Type.Integer(),
  code: Opt(Type.Integer({ description: 'the last HTTP status' })),
  reason: Opt(StringEnum(FAILURE_REASONS)),
  message: Opt(Type.String()),
});

export const DestinationStatusSchema = Type.Object({
  name: Type.String(),
  delivered: Type.Integer(),
  failed: Type.Integer(),
  lastDelivery: Opt(DeliveryRecordSchema),
  lastFailure: Opt(DeliveryRecordSchema),
});

export const NotifiedSchema = Type.Object({
  type: StringEnum(EVENT_TYPES),
  object: Type.String({ description: 'Kind/namespace/name' }),
  key: Type.String({ description: 'what identifies the occurrence (a time, a revision, ...)' }),
  time: Type.String(),
  rearm: Opt(
    Type.Boolean({
      description: 'a state (health Degraded): forgotten once it ends, to fire again',
    }),
  ),
});

export const NotificationStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  since: Opt(
    Type.String({ description: 'events at or before this time are never sent (horizon)' }),
  ),
  notified: Opt(
    Type.Array(NotifiedSchema, {
      description:
        'the last occurrence notified per event type and object (the newest few hundred)',
    }),
  ),
  destinations: Opt(Type.Array(DestinationStatusSchema)),
});

export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;
export type RetrySpec = Static<typeof RetrySchema>;
export type WebhookDestination = Static<typeof WebhookDestinationSchema>;
export type SlackDestination = Static<typeof SlackDestinationSchema>;
export type GitHubDestination = Static<typeof GitHubDestinationSchema>;
export type GitLabDestination = Static<typeof GitLabDestinationSchema>;
export type NotificationDestination = Static<typeof DestinationSchema>;
export type NotificationTemplate = Static<typeof TemplateSchema>;
export type NotificationSelector = Static<typeof SelectorSchema>;
export type NotificationTrigger = Static<typeof TriggerSchema>;
export type NotificationSpec = Static<typeof NotificationSpecSchema>;
export type DeliveryRecord = Static<typeof DeliveryRecordSchema>;
export type DestinationStatus = Static<typeof DestinationStatusSchema>;
export type Notified = Static<typeof NotifiedSchema>;
export type NotificationStatus = Static<typeof NotificationStatusSchema>;
export type NotificationCondition = NonNullable<NotificationStatus['conditions']>[number];

export interface Notification extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: NotificationSpec;
  status?: NotificationStatus;
}
