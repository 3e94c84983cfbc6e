import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import { parseWebhook, pushMatches, type PushEvent } from './webhook.ts';

const secrets = { github: 'gh-secret', gitlab: 'gl-secret', generic: 'shared' };
const sign = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const githubPush = JSON.stringify({
  ref: 'refs/heads/main',
  repository: {
    html_url: 'https://github.com/Org/Deploy',
    clone_url: 'https://github.com/Org/Deploy.git',
    ssh_url: 'git@github.com:Org/Deploy.git',
    default_branch: 'main',
  },
});

const app = (repoURL: string, targetRevision?: string): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'n' },
  spec: { source: { repoURL, ...(targetRevision ? { targetRevision } : {}) }, destination: {} },
});

describe('webhooks', () => {
  it('accepts a correctly signed GitHub push and normalizes its repository URLs', () => {
    const r = parseWebhook(
      { 'x-github-event': 'push', 'x-hub-signature-256': sign('gh-secret', githubPush) },
      Buffer.from(githubPush),
      secrets,
    );
    expect(r.status).toBe(200);
    const event = (r as { event: PushEvent }).event;
    expect(event.repos).toEqual(['github.com/org/deploy']);
    expect(event.ref).toBe('refs/heads/main');
  });

  it('refuses a bad or missing signature with 401', () => {
    expect(
      parseWebhook(
        { 'x-github-event': 'push', 'x-hub-signature-256': sign('wrong', githubPush) },
        Buffer.from(githubPush),
        secrets,
      ).status,
    ).toBe(401);
    expect(
      parseWebhook({ 'x-github-event': 'push' }, Buffer.from(githubPush), secrets).status,
    ).toBe(401);
    expect(
      parseWebhook(
        { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' },
        Buffer.from('{}'),
        secrets,
      ).status,
    ).toBe(401);
    expect(
      parseWebhook({ 'x-sluice-signature': sign('shared', 'x') }, Buffer.from('y'), secrets).status,
    ).toBe(401);
    expect(
      parseWebhook(
        { 'x-github-event': 'push', 'x-hub-signature-256': sign('gh-secret', githubPush) },
        Buffer.from(githubPush),
        {},
      ).status,
    ).toBe(401);
  });

  it('reads GitLab and generic pushes; ignores non-push events', () => {
    const gl = JSON.stringify({
      ref: 'refs/tags/v1.2',
      project: { git_ssh_url: 'git@gitlab.example.com:team/app.git', default_branch: 'main' },
    });
    const r = parseWebhook(
      { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': 'gl-secret' },
      Buffer.from(gl),
      secrets,
    );
    expect((r as { event: PushEvent }).event).toMatchObject({
      repos: ['gitlab.example.com/team/app'],
      ref: 'refs/tags/v1.2',
    });
    const generic = JSON.stringify({
      repository: 'ssh://git@git.example.com/org/repo.git',
      branch: 'release',
    });
    const g = parseWebhook(
      { 'x-sluice-signature': sign('shared', generic) },
      Buffer.from(generic),
      secrets,
    );
    expect((g as { event: PushEvent }).event).toMatchObject({
      repos: ['git.example.com/org/repo'],
      ref: 'refs/heads/release',
    });
    const ping = parseWebhook(
      { 'x-github-event': 'ping', 'x-hub-signature-256': sign('gh-secret', '{}') },
      Buffer.from('{}'),
      secrets,
    );
    expect(ping).toMatchObject({ status: 200, event: undefined });
  });

  it('matches apps by normalized repository and branch, tag or default branch', () => {
    const event: PushEvent = {
      provider: 'github',
      repos: ['github.com/org/deploy'],
      ref: 'refs/heads/main',
      defaultBranch: 'main',
    };
    expect(pushMatches(app('git@github.com:org/deploy.git', 'main'), event)).toBe(true);
    expect(pushMatches(app('https://github.com/org/deploy'), event)).toBe(true);
    expect(pushMatches(app('https://github.com/org/deploy.git', 'release'), event)).toBe(false);
    expect(pushMatches(app('https://github.com/org/other.git', 'main'), event)).toBe(false);
    expect(
      pushMatches(app('https://github.com/org/deploy', 'v1'), { ...event, ref: 'refs/tags/v1' }),
    ).toBe(true);
    expect(
      pushMatches(app('https://github.com/org/deploy'), { ...event, ref: 'refs/heads/feature' }),
    ).toBe(false);
  });
});
