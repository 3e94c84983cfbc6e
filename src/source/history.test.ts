/**
 * GitMirrors.commits, isAncestor and lastChange on real file:// repositories: the commits a
 * revision brings over another with their messages (what a deployment changed, for DORA lead
 * time), which way history goes, and which commit brought a digest into an environment's path.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirrors, SourceError } from './index.ts';
import { TestRepo, tempDir } from './testing/fixtures.ts';

const cleanup: Array<() => Promise<void>> = [];
let repo: TestRepo;
let deploy: TestRepo;
let mirrors: GitMirrors;
const shas: string[] = [];
/** deploy: dev gets A, staging gets A, dev gets B, an unrelated commit. */
const d: string[] = [];
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const kustomization = (digest: string): string =>
  `images:\n  - name: web\n    newTag: "1"\n    digest: ${digest}\n`;
const SET_IMAGE_A = `set-image: envs/dev -> web:1@${A}\n\nSource commit: ${'1'.repeat(40)}\nSource commit time: 2026-12-01T09:40:00Z\n`;

beforeAll(async () => {
  const t = await tempDir('history');
  cleanup.push(t.remove);
  repo = await TestRepo.init(join(t.path, 'deploy'));
  for (const n of [1, 2, 3, 4]) shas.push(await repo.commit({ 'v.txt': `${n}\n` }, `v${n}`));
  deploy = await TestRepo.init(join(t.path, 'deploy2'));
  d.push(await deploy.commit({ 'envs/dev/kustomization.yaml': kustomization(A) }, SET_IMAGE_A));
  d.push(await deploy.commit({ 'envs/staging/kustomization.yaml': kustomization(A) }, 'promote A'));
  d.push(await deploy.commit({ 'envs/dev/kustomization.yaml': kustomization(B) }, 'set B'));
  d.push(await deploy.commit({ 'README.md': `${A}\n` }, 'docs'));
  mirrors = new GitMirrors({ dir: join(t.path, 'mirrors') });
  await mirrors.resolve(repo.url, 'main', { refresh: true });
  await mirrors.resolve(deploy.url, 'main', { refresh: true });
});

afterAll(async () => {
  for (const c of cleanup) await c();
});

const at = (i: number): string => shas[i] ?? '';

describe('GitMirrors.commits', () => {
  it.each([
    {
      name: 'since an older revision: what it brings, newest first',
      since: 0,
      to: 3,
      want: [3, 2, 1],
    },
    { name: 'since the parent: the one commit', since: 2, to: 3, want: [3] },
    { name: 'no previous revision: the revision alone', since: undefined, to: 2, want: [2] },
    { name: 'since a newer revision (going back): nothing new', since: 3, to: 1, want: [] },
  ])('$name', async ({ since, to, want }) => {
    const got = await mirrors.commits(
      repo.url,
      at(to),
      since === undefined ? undefined : at(since),
    );
    expect(got.map((c) => c.sha)).toEqual(want.map(at));
    for (const c of got) expect(c.committedAt).toBe('2024-05-01T12:00:00+02:00');
    expect(got.map((c) => c.message)).toEqual(want.map((i) => `v${i + 1}\n`));
  });

  it('gives each commit its whole message, trailers and blank lines kept', async () => {
    const got = await mirrors.commits(deploy.url, d[1] ?? '', d[0]);
    expect(got.map((c) => [c.sha, c.message])).toEqual([[d[1], 'promote A\n']]);
    const [first] = await mirrors.commits(deploy.url, d[0] ?? '', undefined);
    expect(first).toEqual({
      sha: d[0],
      committedAt: '2024-05-01T12:00:00+02:00',
      message: SET_IMAGE_A,
    });
  });

  it('a previous revision the mirror does not have counts the revision alone', async () => {
    const got = await mirrors.commits(repo.url, at(3), 'f'.repeat(40));
    expect(got.map((c) => c.sha)).toEqual([at(3)]);
  });

  it('caps the list at `limit`', async () => {
    expect(await mirrors.commits(repo.url, at(3), at(0), 2)).toHaveLength(2);
  });

  it('a revision the mirror does not have is RevisionNotFound', async () => {
    const err: unknown = await mirrors
      .commits(repo.url, 'e'.repeat(40), at(0))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('RevisionNotFound');
  });
});

describe('GitMirrors.isAncestor', () => {
  it.each([
    { name: 'an older commit is an ancestor of a newer one', a: 0, b: 3, want: true },
    { name: 'a newer commit is no ancestor of an older one', a: 3, b: 0, want: false },
    { name: 'a commit is not its own ancestor', a: 2, b: 2, want: false },
  ])('$name', async ({ a, b, want }) => {
    expect(await mirrors.isAncestor(repo.url, at(a), at(b))).toBe(want);
  });

  it('a commit the mirror does not have is RevisionNotFound', async () => {
    const err: unknown = await mirrors
      .isAncestor(repo.url, 'd'.repeat(40), at(0))
      .catch((e: unknown) => e);
    expect((err as SourceError).code).toBe('RevisionNotFound');
  });
});

describe('GitMirrors.lastChange', () => {
  it.each([
    {
      name: 'the commit that brought a digest into a path',
      from: 3,
      path: 'envs/dev',
      text: B,
      want: 2,
    },
    {
      name: 'older changes of other paths do not count',
      from: 3,
      path: 'envs/staging',
      text: A,
      want: 1,
    },
    { name: 'the first one, with its message', from: 1, path: 'envs/dev', text: A, want: 0 },
    {
      name: './ and a trailing / are the same path',
      from: 3,
      path: './envs/dev/',
      text: B,
      want: 2,
    },
    { name: 'the whole tree for an empty path', from: 3, path: '', text: A, want: 3 },
    { name: 'a digest the path never had', from: 1, path: 'envs/dev', text: B, want: undefined },
    { name: 'a path that does not exist', from: 3, path: 'envs/prod', text: A, want: undefined },
    {
      name: 'paths are literal, never pathspec magic',
      from: 3,
      path: ':(glob)envs/*',
      text: A,
      want: undefined,
    },
  ])('$name', async ({ from, path, text, want }) => {
    const got = await mirrors.lastChange(deploy.url, d[from] ?? '', path, text);
    expect(got?.sha).toBe(want === undefined ? undefined : d[want]);
    if (want === 0) expect(got?.message).toBe(SET_IMAGE_A);
  });

  it('a revision the mirror does not have is RevisionNotFound', async () => {
    const err: unknown = await mirrors
      .lastChange(deploy.url, 'c'.repeat(40), 'envs/dev', A)
      .catch((e: unknown) => e);
    expect((err as SourceError).code).toBe('RevisionNotFound');
  });
});
