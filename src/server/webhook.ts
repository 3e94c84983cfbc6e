/**
 * Git push webhooks: GitHub, GitLab, and a generic HMAC-signed format. Every request is
 * authenticated before its body is trusted (a bad signature is 401 and refreshes nothing); a push
 * refreshes only the Applications whose repository (https, ssh and `.git` forms normalized) and
 * target revision match it.
 *
 * Generic format:
 * ```
 * POST /api/webhook
 * X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>
 * {"repository": "https://git.example.com/org/deploy.git", "ref": "refs/heads/main"}
 * ```
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Application } from '../api/application.ts';
import { isRecord } from '../kube/types.ts';
import { normalizeRepoURL } from '../source/index.ts';

export type Provider = 'github' | 'gitlab' | 'generic';

export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  generic?: string;
}

export interface PushEvent {
  provider: Provider;
  /** Normalized URLs of the pushed repository (a provider sends several forms). */
  repos: string[];
  /** `refs/heads/main` or `refs/tags/v1`. */
  ref: string;
  defaultBranch?: string;
}

export type WebhookResult =
  | { status: 200; event: PushEvent | undefined; message: string }
  | { status: 400 | 401; message: string };

type Headers = Record<string, string | string[] | undefined>;

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacOk(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  return safeEqual(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, signature);
}

function normalizeAll(urls: unknown[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    if (typeof u !== 'string' || !u) continue;
    try {
      out.add(normalizeRepoURL(u));
    } catch {
      // a form we cannot read matches nothing
    }
  }
  return [...out];
}

function provider(h: Headers): Provider {
  if (header(h, 'x-github-event')) return 'github';
  if (header(h, 'x-gitlab-event')) return 'gitlab';
  return 'generic';
}

function authenticate(
  p: Provider,
  h: Headers,
  body: Buffer,
  secrets: WebhookSecrets,
): string | undefined {
  const secret = secrets[p];
  if (!secret) return `no webhook secret is configured for ${p}; refusing unauthenticated pushes`;
  if (p === 'gitlab')
    return safeEqual(header(h, 'x-gitlab-token') ?? '', secret) ? undefined : 'bad X-Gitlab-Token';
  const sig = p === 'github' ? header(h, 'x-hub-signature-256') : header(h, 'x-sluice-signature');
  return hmacOk(secret, body, sig)
    ? undefined
    : `bad ${p === 'github' ? 'X-Hub-Signature-256' : 'X-Sluice-Signature'}`;
}

function eventOf(p: Provider, h: Headers, payload: Record<string, unknown>): PushEvent | undefined {
  if (p === 'github') {
    if (header(h, 'x-github-event') !== 'push') return undefined;
    const repo = isRecord(payload['repository']) ? payload['repository'] : {};
    return withBranch(
      {
        provider: p,
        repos: normalizeAll([
          repo['html_url'],
          repo['clone_url'],
          repo['ssh_url'],
          repo['git_url'],
        ]),
        ref: typeof payload['ref'] === 'string' ? payload['ref'] : '',
      },
      repo['default_branch'],
    );
  }
  if (p === 'gitlab') {
    const kind = header(h, 'x-gitlab-event');
    if (kind !== 'Push Hook' && kind !== 'Tag Push Hook') return undefined;
    const project = isRecord(payload['project']) ? payload['project'] : {};
    const repo = isRecord(payload['repository']) ? payload['repository'] : {};
    return withBranch(
      {
        provider: p,
        repos: normalizeAll([
          project['git_http_url'],
          project['git_ssh_url'],
          project['web_url'],
          repo['git_http_url'],
          repo['homepage'],
        ]),
        ref: typeof payload['ref'] === 'string' ? payload['ref'] : '',
      },
      project['default_branch'],
    );
  }
  const ref =
    typeof payload['ref'] === 'string'
      ? payload['ref']
      : typeof payload['branch'] === 'string'
        ? `refs/heads/${payload['branch']}`
        : '';
  return { provider: p, repos: normalizeAll([payload['repository'], payload['repoURL']]), ref };
}

function withBranch(e: PushEvent, defaultBranch: unknown): PushEvent {
  return typeof defaultBranch === 'string' && defaultBranch ? { ...e, defaultBranch } : e;
}

/** Authenticates and reads a webhook request. */
export function parseWebhook(
  headers: Headers,
  body: Buffer,
  secrets: WebhookSecrets,
): WebhookResult {
  const p = provider(headers);
  const problem = authenticate(p, headers, body, secrets);
  if (problem) return { status: 401, message: problem };
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  if (!isRecord(payload)) return { status: 400, message: 'the body is not a JSON object' };
  const event = eventOf(p, headers, payload);
  if (!event) return { status: 200, event: undefined, message: 'not a push event; ignored' };
  if (event.repos.length === 0 || !event.ref)
    return { status: 400, message: 'the push names no repository or ref' };
  return { status: 200, event, message: 'ok' };
}

/** Does this push change what `app` deploys? */
export function pushMatches(app: Application, event: PushEvent): boolean {
  let repo: string;
  try {
    repo = normalizeRepoURL(app.spec.source.repoURL);
  } catch {
    return false;
  }
  if (!event.repos.includes(repo)) return false;
  const target = app.spec.source.targetRevision ?? 'HEAD';
  const branch = event.ref.startsWith('refs/heads/')
    ? event.ref.slice('refs/heads/'.length)
    : undefined;
  const tag = event.ref.startsWith('refs/tags/') ? event.ref.slice('refs/tags/'.length) : undefined;
  if (target === 'HEAD' || target === '')
    return branch !== undefined && (!event.defaultBranch || branch === event.defaultBranch);
  return target === branch || target === tag || target === event.ref;
}
