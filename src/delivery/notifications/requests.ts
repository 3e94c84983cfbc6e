/**
 * From an event, a template and a destination to the one HTTP request that delivers it (pure;
 * secrets are looked up beforehand and passed in):
 *
 * - webhook: the template's `webhook.body` (an object rendered string by string, or JSON text),
 *   else the event itself with the rendered `text`; `X-Sluice-Signature: sha256=<hex>` is the
 *   HMAC-SHA256 of the exact body with the key of `secretRef` (the same header Sluice's own push
 *   webhook checks); `X-Sluice-Event` and `X-Sluice-Delivery` (the event id, to de-duplicate).
 * - slack: `{"text": ...}` (values escaped for Slack), with `blocks` / `attachments` when the
 *   template has them, and the destination's channel, username and icon.
 * - github: `POST {baseURL}/repos/{owner}/{repo}/statuses/{sha}` with `state`, `context`,
 *   `description` (140 characters) and `target_url`; a Bearer token.
 * - gitlab: `POST {baseURL}/projects/{id}/statuses/{sha}` with `state`, `name`, `description`,
 *   `target_url`; a `PRIVATE-TOKEN`.
 */
import { createHmac } from 'node:crypto';
import type {
  GitHubDestination,
  GitLabDestination,
  NotificationDestination,
  NotificationTemplate,
  SecretKeySelector,
  SlackDestination,
  WebhookDestination,
} from '../../api/notification.ts';
import type { DeliveryEvent, Outcome } from '../events/types.ts';
import { DeliveryError } from './errors.ts';
import {
  renderJsonText,
  renderText,
  renderValue,
  slackText,
  stringify,
  TemplateError,
  type Context,
} from './template.ts';

export interface HttpRequest {
  method: 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A Secret's key, or undefined when the Secret or the key is missing. */
export type SecretLookup = (ref: SecretKeySelector) => string | undefined;

export interface RequestInput {
  event: DeliveryEvent;
  /** The template's fields (see fields.ts). */
  context: Context;
  template: NotificationTemplate;
  destination: NotificationDestination;
  secret: SecretLookup;
}

export const SIGNATURE_HEADER = 'X-Sluice-Signature';
const USER_AGENT = 'sluice-notifications';
export const DEFAULT_MESSAGE =
  '{{ .title }}: {{ .object.kind }} {{ .object.namespace }}/{{ .object.name }} ' +
  '(environment {{ .environment }}, revision {{ .revisionShort | default "unknown" }}): ' +
  '{{ .message | default "no message" }}';

export function sign(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

function need(secret: SecretLookup, ref: SecretKeySelector, what: string): string {
  const v = secret(ref);
  if (v === undefined) {
    throw new DeliveryError(
      'SecretNotFound',
      `${what}: key "${ref.key}" of Secret ${ref.name} not found`,
      { hint: `kubectl create secret generic ${ref.name} --from-literal=${ref.key}=...` },
    );
  }
  return v;
}

function urlOf(d: { url?: string; urlSecretRef?: SecretKeySelector }, s: SecretLookup): string {
  if (d.url) return d.url;
  if (d.urlSecretRef) return need(s, d.urlSecretRef, 'the URL').trim();
  throw new DeliveryError('TemplateError', 'the destination has no url and no urlSecretRef');
}

/** Rendering errors become DeliveryErrors (TemplateError reason, never retried). */
function rendering<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TemplateError) throw new DeliveryError('TemplateError', err.message);
    throw err;
  }
}

function message(i: RequestInput): string {
  return renderText(i.template.message ?? DEFAULT_MESSAGE, i.context);
}

function webhook(i: RequestInput, d: WebhookDestination): HttpRequest {
  const template = i.template.webhook?.body;
  const body =
    template === undefined
      ? {
          ...i.event,
          text: message(i),
          notification: i.context['notification'],
          trigger: i.context['trigger'],
        }
      : typeof template === 'string'
        ? renderJsonText(template, i.context)
        : renderValue(template, i.context);
  const text = JSON.stringify(body);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': USER_AGENT,
    'X-Sluice-Event': i.event.type,
    'X-Sluice-Delivery': i.event.id,
  };
  for (const h of d.headers ?? []) {
    const ref = h.valueFrom?.secretKeyRef;
    headers[h.name] = ref ? need(i.secret, ref, `header ${h.name}`) : (h.value ?? '');
  }
  if (d.secretRef)
    headers[SIGNATURE_HEADER] = sign(need(i.secret, d.secretRef, 'the HMAC key'), text);
  return { method: d.method ?? 'POST', url: urlOf(d, i.secret), headers, body: text };
}

function slack(i: RequestInput, d: SlackDestination): HttpRequest {
  const t = i.template.slack;
  const body = {
    text: renderText(t?.text ?? i.template.message ?? DEFAULT_MESSAGE, i.context, slackText),
    ...(t?.blocks !== undefined ? { blocks: renderValue(t.blocks, i.context, slackText) } : {}),
    ...(t?.attachments !== undefined
      ? { attachments: renderValue(t.attachments, i.context, slackText) }
      : {}),
    ...(d.channel ? { channel: d.channel } : {}),
    ...(d.username ? { username: d.username } : {}),
    ...(d.iconEmoji ? { icon_emoji: d.iconEmoji } : {}),
  };
  return {
    method: 'POST',
    url: urlOf(d, i.secret),
    headers: { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT },
    body: JSON.stringify(body),
  };
}

/** `owner/name` (or a GitLab `group/sub/name`) from a repository URL. */
export function repositoryPath(repoURL: string | undefined): string | undefined {
  if (!repoURL) return undefined;
  const scp = /^[\w.-]+@[^:/]+:(.+)$/.exec(repoURL);
  let path = scp?.[1];
  if (path === undefined) {
    try {
      const u = new URL(repoURL);
      if (u.protocol === 'file:') return undefined;
      path = u.pathname;
    } catch {
      return undefined;
    }
  }
  const clean = path
    .replace(/^\/+/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return clean.includes('/') ? clean : undefined;
}

interface CommitStatus {
  sha: string;
  state: string | undefined;
  label: string;
  description: string;
  targetURL: string;
}

function commitStatus(i: RequestInput, forge: string): CommitStatus {
  const sha = i.event.revision;
  if (!sha || !/^[0-9a-f]{40}$/i.test(sha)) {
    throw new DeliveryError(
      'MissingRevision',
      `a ${forge} commit status needs the event's commit SHA; ${i.event.object.kind}/${i.event.object.namespace}/${i.event.object.name} gave ${sha ? `"${sha}"` : 'none'}`,
    );
  }
  const t = i.template.commitStatus ?? {};
  const r = (text: string | undefined): string | undefined =>
    text === undefined ? undefined : renderText(text, i.context);
  const kind = i.event.object.kind.toLowerCase();
  const description = r(t.description) ?? message(i);
  return {
    sha: sha.toLowerCase(),
    state: r(t.state),
    label: r(t.label) ?? `sluice/${kind}/${i.event.object.name}`,
    description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
    targetURL: r(t.targetURL) ?? stringify(i.context['url']),
  };
}

const GITHUB_STATES: Record<Outcome, string> = {
  success: 'success',
  failure: 'failure',
  pending: 'pending',
};
const GITLAB_STATES: Record<string, string> = {
  success: 'success',
  failure: 'failed',
  error: 'failed',
  failed: 'failed',
  pending: 'pending',
  running: 'running',
  canceled: 'canceled',
};

function github(i: RequestInput, d: GitHubDestination): HttpRequest {
  const repo = d.repository ?? repositoryPath(i.event.repoURL);
  if (!repo) {
    throw new DeliveryError(
      'MissingRepository',
      `no GitHub repository: set github.repository (owner/name); the event's repository URL is ${i.event.repoURL ?? 'unknown'}`,
    );
  }
  const s = commitStatus(i, 'GitHub');
  const state = s.state ?? GITHUB_STATES[i.event.outcome];
  if (!['error', 'failure', 'pending', 'success'].includes(state)) {
    throw new DeliveryError('TemplateError', `GitHub has no commit state "${state}"`);
  }
  const base = (d.baseURL ?? 'https://api.github.com').replace(/\/+$/, '');
  return {
    method: 'POST',
    url: `${base}/repos/${repo}/statuses/${s.sha}`,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': USER_AGENT,
      Authorization: `Bearer ${need(i.secret, d.tokenSecretRef, 'the GitHub token')}`,
    },
    body: JSON.stringify({
      state,
      context: s.label,
      description: s.description,
      ...(s.targetURL ? { target_url: s.targetURL } : {}),
    }),
  };
}

function gitlab(i: RequestInput, d: GitLabDestination): HttpRequest {
  const project = d.project ?? repositoryPath(i.event.repoURL);
  if (!project) {
    throw new DeliveryError(
      'MissingRepository',
      `no GitLab project: set gitlab.project (an id or group/name); the event's repository URL is ${i.event.repoURL ?? 'unknown'}`,
    );
  }
  const s = commitStatus(i, 'GitLab');
  const state = GITLAB_STATES[s.state ?? i.event.outcome];
  if (!state) throw new DeliveryError('TemplateError', `GitLab has no commit state "${s.state}"`);
  const base = (d.baseURL ?? 'https://gitlab.com/api/v4').replace(/\/+$/, '');
  return {
    method: 'POST',
    url: `${base}/projects/${encodeURIComponent(project)}/statuses/${s.sha}`,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'PRIVATE-TOKEN': need(i.secret, d.tokenSecretRef, 'the GitLab token'),
    },
    body: JSON.stringify({
      state,
      name: s.label,
      description: s.description,
      ...(s.targetURL ? { target_url: s.targetURL } : {}),
    }),
  };
}

/** The request delivering `input`; throws DeliveryError when it cannot be made. */
export function buildRequest(input: RequestInput): HttpRequest {
  const d = input.destination;
  return rendering(() => {
    if (d.webhook) return webhook(input, d.webhook);
    if (d.slack) return slack(input, d.slack);
    if (d.github) return github(input, d.github);
    if (d.gitlab) return gitlab(input, d.gitlab);
    throw new DeliveryError('TemplateError', `destination ${d.name} has no type`);
  });
}

/** The Secrets a destination reads (fetched before `buildRequest`). */
export function secretRefs(d: NotificationDestination): SecretKeySelector[] {
  const refs: Array<SecretKeySelector | undefined> = [
    d.webhook?.urlSecretRef,
    d.webhook?.secretRef,
    ...(d.webhook?.headers ?? []).map((h) => h.valueFrom?.secretKeyRef),
    d.slack?.urlSecretRef,
    d.github?.tokenSecretRef,
    d.gitlab?.tokenSecretRef,
  ];
  return refs.filter((r): r is SecretKeySelector => r !== undefined);
}
