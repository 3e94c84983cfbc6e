import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../errors.ts';
import {
  parsePullRequest,
  promotionBranch,
  pullRequestRequests,
  type PullRequestInput,
} from './pullrequest.ts';

const input = (over: Partial<PullRequestInput>): PullRequestInput => ({
  target: { github: { tokenSecretRef: { name: 'gh', key: 'token' } } },
  repoURL: 'https://github.com/team/deploy.git',
  token: 't0k',
  head: 'sluice/promote/prod/sha256-abcdef012345',
  base: 'main',
  title: 'promote web to prod',
  body: 'Source commit: abc',
  ...over,
});

describe('promotionBranch', () => {
  it.each([
    ['prod', `sha256:${'ab'.repeat(32)}`, undefined, 'sluice/promote/prod/sha256-abababababab'],
    ['prod', 'v1.2.3', undefined, 'sluice/promote/prod/v1.2.3'],
    ['eu west', 'v1', 'release/', 'release/eu-west/v1'],
  ])('%s %s (prefix %s) → %s', (env, version, prefix, branch) => {
    expect(promotionBranch(env, version, prefix)).toBe(branch);
  });
});

describe('pullRequestRequests', () => {
  it('GitHub: POST …/pulls with head and base, a Bearer token; finds by owner:head', () => {
    const { open, find } = pullRequestRequests(input({}));
    expect(open).toMatchObject({
      method: 'POST',
      url: 'https://api.github.com/repos/team/deploy/pulls',
      headers: { Authorization: 'Bearer t0k' },
    });
    expect(JSON.parse(open.body ?? '')).toEqual({
      title: 'promote web to prod',
      head: 'sluice/promote/prod/sha256-abcdef012345',
      base: 'main',
      body: 'Source commit: abc',
    });
    expect(find.url).toBe(
      'https://api.github.com/repos/team/deploy/pulls?head=team%3Asluice%2Fpromote%2Fprod%2Fsha256-abcdef012345&base=main&state=open',
    );
  });

  it('GitLab: POST …/merge_requests on the encoded project, a PRIVATE-TOKEN', () => {
    const { open, find } = pullRequestRequests(
      input({
        target: {
          gitlab: {
            baseURL: 'https://git.example.com/api/v4/',
            tokenSecretRef: { name: 'gl', key: 'token' },
          },
        },
        repoURL: 'git@git.example.com:group/sub/deploy.git',
      }),
    );
    expect(open).toMatchObject({
      url: 'https://git.example.com/api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
      headers: { 'PRIVATE-TOKEN': 't0k' },
    });
    expect(JSON.parse(open.body ?? '')).toMatchObject({
      source_branch: 'sluice/promote/prod/sha256-abcdef012345',
      target_branch: 'main',
      description: 'Source commit: abc',
      remove_source_branch: true,
    });
    expect(find.url).toContain('merge_requests?source_branch=sluice%2Fpromote');
  });

  it('a repository set explicitly wins over the URL', () => {
    const { open } = pullRequestRequests(
      input({
        target: {
          github: { repository: 'other/repo', tokenSecretRef: { name: 'gh', key: 'token' } },
        },
      }),
    );
    expect(open.url).toBe('https://api.github.com/repos/other/repo/pulls');
  });

  it.each([
    ['a file:// repository without github.repository', { repoURL: 'file:///tmp/deploy.git' }, 'MissingRepository'],
    ['no forge named', { target: {} }, 'InvalidTarget'],
  ] as const)('%s: a clear error', (_, over, code) => {
    let err: unknown;
    try {
      pullRequestRequests(input(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe(code);
    expect((err as SluiceError).hint).toMatch(/git\.pullRequest/);
  }); // prettier-ignore
});

describe('parsePullRequest', () => {
  it.each([
    [{ number: 7, html_url: 'https://github.com/t/d/pull/7' }, { number: 7, url: 'https://github.com/t/d/pull/7' }],
    [{ iid: 3, web_url: 'https://gl/t/d/-/merge_requests/3' }, { number: 3, url: 'https://gl/t/d/-/merge_requests/3' }],
    [{ number: '7' }, undefined],
    [null, undefined],
  ])('%j → %j', (body, pr) => {
    expect(parsePullRequest(body)).toEqual(pr);
  }); // prettier-ignore
});
