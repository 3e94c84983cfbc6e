/**
 * Promotion by pull request (issue 12, item 3): when an environment's Git target names a forge
 * (`git.pullRequest.github` or `.gitlab`), the promotion's commit goes to a branch of its own
 * (`sluice/promote/<env>/<version>`, made from the target branch) and a pull request (GitHub) or
 * merge request (GitLab) asks to merge it; a person merging it is the promotion. The requests are
 * built here as data (pure, tested as tables); `openPullRequest` sends them and, when the forge
 * says one is already open for the branch (a retry, a restart), finds that one instead.
 *
 * GitHub: `POST {baseURL}/repos/{owner}/{repo}/pulls` (`head`, `base`, `title`, `body`), a
 * `Bearer` token; an existing one answers 422, found with `GET …/pulls?head=owner:branch`.
 * GitLab: `POST {baseURL}/projects/{id}/merge_requests` (`source_branch`, `target_branch`,
 * `title`, `description`), a `PRIVATE-TOKEN`; an existing one answers 409, found with
 * `GET …/merge_requests?source_branch=…&state=opened`.
 */
import type { PullRequestTarget } from '../../api/promotion.ts';
import { SluiceError } from '../../errors.ts';
import { repositoryPath } from '../notifications/requests.ts';

export interface PullRequest {
  number: number;
  url: string;
}

export interface PullRequestInput {
  target: PullRequestTarget;
  /** The deploy repository (its path names the forge's repository when not set). */
  repoURL: string;
  token: string;
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface ForgeRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const USER_AGENT = 'sluice-promotion';

/** The branch a promotion of `version` into `environment` is pushed to. */
export function promotionBranch(environment: string, version: string, prefix = 'sluice/promote') {
  const v = version.replace(/^sha256:/, 'sha256-').slice(0, 19);
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${prefix.replace(/\/+$/, '')}/${clean(environment)}/${clean(v)}`;
}

function repository(i: PullRequestInput, forge: 'GitHub' | 'GitLab', set?: string): string {
  const repo = set ?? repositoryPath(i.repoURL);
  if (!repo)
    throw new SluiceError(
      'MissingRepository',
      `no ${forge} ${forge === 'GitHub' ? 'repository' : 'project'} for the pull request: ${i.repoURL} does not name one`,
      {
        hint: `set git.pullRequest.${forge.toLowerCase()}.${forge === 'GitHub' ? 'repository (owner/name)' : 'project (an id or group/name)'}`,
      },
    );
  return repo;
}

/** The request opening the pull (merge) request, and the one finding an open one for `head`. */
export function pullRequestRequests(i: PullRequestInput): {
  open: ForgeRequest;
  find: ForgeRequest;
} {
  const gh = i.target.github;
  const gl = i.target.gitlab;
  if (gh) {
    const repo = repository(i, 'GitHub', gh.repository);
    const base = `${(gh.baseURL ?? 'https://api.github.com').replace(/\/+$/, '')}/repos/${repo}/pulls`;
    const headers = {
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': USER_AGENT,
      Authorization: `Bearer ${i.token}`,
    };
    const owner = repo.split('/')[0] ?? '';
    const query = new URLSearchParams({ head: `${owner}:${i.head}`, base: i.base, state: 'open' });
    return {
      open: {
        method: 'POST',
        url: base,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: i.title, head: i.head, base: i.base, body: i.body }),
      },
      find: { method: 'GET', url: `${base}?${query.toString()}`, headers },
    };
  }
  if (gl) {
    const project = encodeURIComponent(repository(i, 'GitLab', gl.project));
    const base = `${(gl.baseURL ?? 'https://gitlab.com/api/v4').replace(/\/+$/, '')}/projects/${project}/merge_requests`;
    const headers = { 'User-Agent': USER_AGENT, 'PRIVATE-TOKEN': i.token };
    const query = new URLSearchParams({
      source_branch: i.head,
      target_branch: i.base,
      state: 'opened',
    });
    return {
      open: {
        method: 'POST',
        url: base,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          title: i.title,
          source_branch: i.head,
          target_branch: i.base,
          description: i.body,
          remove_source_branch: true,
        }),
      },
      find: { method: 'GET', url: `${base}?${query.toString()}`, headers },
    };
  }
  throw new SluiceError('InvalidTarget', 'git.pullRequest names no forge', {
    hint: 'set git.pullRequest.github or git.pullRequest.gitlab',
  });
}

/** The number and address of a pull request as either forge answers it. */
export function parsePullRequest(body: unknown): PullRequest | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const o = body as Record<string, unknown>;
  const number = typeof o['number'] === 'number' ? o['number'] : o['iid'];
  const url = typeof o['html_url'] === 'string' ? o['html_url'] : o['web_url'];
  return typeof number === 'number' && typeof url === 'string' ? { number, url } : undefined;
}

/** What the forge answered, as an error naming the request. */
function refused(what: string, status: number, text: string): SluiceError {
  let detail = text.slice(0, 300);
  try {
    const o = JSON.parse(text) as { message?: unknown };
    if (typeof o.message === 'string') detail = o.message;
  } catch {
    // not JSON: the text as it came
  }
  return new SluiceError('PullRequestRefused', `${what}: the forge answered ${status}: ${detail}`, {
    hint:
      status === 401 || status === 403
        ? "check the token in git.pullRequest's tokenSecretRef: it needs the right to open pull requests"
        : 'check git.pullRequest (repository or project, baseURL) and that the branch was pushed',
  });
}

async function send(r: ForgeRequest, signal?: AbortSignal) {
  const res = await fetch(r.url, {
    method: r.method,
    headers: r.headers,
    ...(r.body !== undefined ? { body: r.body } : {}),
    ...(signal ? { signal } : {}),
  });
  return { status: res.status, text: await res.text() };
}

/** The pull request open for the branch, if any. */
export async function findPullRequest(
  i: PullRequestInput,
  signal?: AbortSignal,
): Promise<PullRequest | undefined> {
  const found = await send(pullRequestRequests(i).find, signal);
  if (found.status !== 200)
    throw refused(`looking for a pull request from ${i.head}`, found.status, found.text);
  const list = JSON.parse(found.text) as unknown;
  return Array.isArray(list) ? parsePullRequest(list[0]) : undefined;
}

/** Opens the pull request, or answers the one already open for the branch. */
export async function openPullRequest(
  i: PullRequestInput,
  signal?: AbortSignal,
): Promise<PullRequest> {
  const { open } = pullRequestRequests(i);
  const what = `opening a pull request from ${i.head} into ${i.base}`;
  const opened = await send(open, signal);
  if (opened.status === 201 || opened.status === 200) {
    const pr = parsePullRequest(JSON.parse(opened.text) as unknown);
    if (pr) return pr;
    throw refused(what, opened.status, 'an answer without a number and an address');
  }
  // 422 (GitHub) or 409 (GitLab): one is open for this branch already.
  if (opened.status === 422 || opened.status === 409) {
    const pr = await findPullRequest(i, signal);
    if (pr) return pr;
  }
  throw refused(what, opened.status, opened.text);
}
