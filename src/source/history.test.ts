/**
 * GitMirrors.commits and isAncestor on a real file:// repository: the commits a revision brings
 * over another (what a deployment changed, for DORA lead time) and which way history goes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirrors, SourceError } from './index.ts';
import { TestRepo, tempDir } from './testing/fixtures.ts';

const cleanup: Array<() => Promise<void>> = [];
let repo: TestRepo;
let mirrors: GitMirrors;
const shas: string[] = [];

beforeAll(async () => {
  const t = await tempDir('history');
  cleanup.push(t.remove);
  repo = await TestRepo.init(join(t.path, 'deploy'));
  for (const n of [1, 2, 3, 4]) shas.push(await repo.commit({ 'v.txt': `${n}\n` }, `v${n}`));
  mirrors = new GitMirrors({ dir: join(t.path, 'mirrors') });
  await mirrors.resolve(repo.url, 'main', { refresh: true });
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
