import { readFile, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirrors, SourceError } from './index.ts';
import { TestRepo, tempDir } from './testing/fixtures.ts';

let cleanup: Array<() => Promise<void>> = [];
let repo: TestRepo;
let first: string;
let second: string;

async function newMirrors(): Promise<GitMirrors> {
  const t = await tempDir('mirrors');
  cleanup.push(t.remove);
  return new GitMirrors({ dir: t.path });
}

async function rejection(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

beforeAll(async () => {
  const t = await tempDir('repo');
  cleanup.push(t.remove);
  repo = await TestRepo.init(join(t.path, 'deploy'));
  first = await repo.commit(
    { 'app/deploy.yaml': 'kind: Deployment\n', 'README.md': '# hi\n' },
    'first',
  );
  await repo.git('tag', 'v1');
  second = await repo.commit({ 'app/svc.yaml': 'kind: Service\n' }, 'second: add service');
  await repo.git('tag', '-a', '-m', 'release 2', 'v2');
  await repo.git('branch', 'release-1', first);
});

afterAll(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('GitMirrors.resolve on a file:// repository', () => {
  it('resolves HEAD (the default), a branch, tags, full and short SHAs', async () => {
    const m = await newMirrors();
    expect(await m.resolve(repo.url)).toEqual({ sha: second, ref: 'refs/heads/main' });
    expect(await m.resolve(repo.url, 'HEAD')).toEqual({ sha: second, ref: 'refs/heads/main' });
    expect(await m.resolve(repo.url, 'main')).toEqual({ sha: second, ref: 'refs/heads/main' });
    expect(await m.resolve(repo.url, 'release-1')).toEqual({
      sha: first,
      ref: 'refs/heads/release-1',
    });
    expect(await m.resolve(repo.url, 'v1')).toEqual({ sha: first, ref: 'refs/tags/v1' });
    // An annotated tag is peeled to its commit.
    expect(await m.resolve(repo.url, 'v2')).toEqual({ sha: second, ref: 'refs/tags/v2' });
    expect(await m.resolve(repo.url, 'refs/tags/v1')).toEqual({ sha: first, ref: 'refs/tags/v1' });
    expect(await m.resolve(repo.url, first)).toEqual({ sha: first });
    expect(await m.resolve(repo.url, first.toUpperCase())).toEqual({ sha: first });
    expect(await m.resolve(repo.url, first.slice(0, 7))).toEqual({ sha: first });
    expect(m.stats).toMatchObject({ clones: 1, fetches: 1 });
  });

  it('sees a new commit after refresh, not without', async () => {
    const m = await newMirrors();
    const t = await tempDir('repo2');
    cleanup.push(t.remove);
    const r = await TestRepo.init(t.path);
    const a = await r.commit({ 'a.yaml': 'a: 1\n' }, 'a');
    expect((await m.resolve(r.url, 'main')).sha).toBe(a);
    const b = await r.commit({ 'a.yaml': 'a: 2\n' }, 'b');
    expect((await m.resolve(r.url, 'main')).sha).toBe(a);
    expect(m.stats.fetches).toBe(1);
    expect((await m.resolve(r.url, 'main', { refresh: true })).sha).toBe(b);
    expect(m.stats.fetches).toBe(2);
    // A full SHA already present needs no fetch, even with refresh.
    expect((await m.resolve(r.url, a, { refresh: true })).sha).toBe(a);
    expect(m.stats.fetches).toBe(2);
  });

  it('fetches without refresh when the revision is not in the mirror yet', async () => {
    const m = await newMirrors();
    const t = await tempDir('repo3');
    cleanup.push(t.remove);
    const r = await TestRepo.init(t.path);
    await r.commit({ 'a.yaml': 'a: 1\n' }, 'a');
    await m.resolve(r.url);
    const c = await r.commit({ 'a.yaml': 'a: 3\n' }, 'c');
    await r.git('tag', 'v3');
    expect(await m.resolve(r.url, 'v3')).toEqual({ sha: c, ref: 'refs/tags/v3' });
    expect(m.stats.fetches).toBe(2);
    // A deleted branch disappears on the next fetch (--prune).
    await r.git('branch', 'tmp');
    await m.resolve(r.url, 'tmp', { refresh: true });
    await r.git('branch', '-D', 'tmp');
    await m.resolve(r.url, 'main', { refresh: true });
    await expect(m.resolve(r.url, 'tmp')).rejects.toMatchObject({ code: 'RevisionNotFound' });
  });

  it('coalesces concurrent refreshes of one repository into one fetch', async () => {
    const m = await newMirrors();
    await m.resolve(repo.url);
    const before = m.stats.fetches;
    const all = await Promise.all(
      Array.from({ length: 10 }, () => m.resolve(repo.url, 'main', { refresh: true })),
    );
    expect(new Set(all.map((r) => r.sha))).toEqual(new Set([second]));
    expect(m.stats.fetches).toBe(before + 1);
  });

  it('coalesces concurrent first resolutions into one clone', async () => {
    const m = await newMirrors();
    await Promise.all(
      Array.from({ length: 5 }, () => m.resolve(repo.url, 'v1', { refresh: true })),
    );
    expect(m.stats).toMatchObject({ clones: 1, fetches: 1 });
  });

  it('names the repository and revision when the revision does not exist', async () => {
    const m = await newMirrors();
    await m.resolve(repo.url);
    const err = await rejection(m.resolve(repo.url, 'relese-1'));
    expect(err.code).toBe('RevisionNotFound');
    expect(err.message).toBe(`repo ${repo.url}: revision "relese-1" not found`);
    expect(err.hint).toContain('release-1');
    expect(err.hint).toContain('v1');
    expect(err.exitCode).toBe(3);
    expect(err.repoURL).toBe(repo.url);
    // Not found locally -> one more fetch, then the error.
    expect(m.stats.fetches).toBe(2);
    for (const bad of ['main~1', 'a..b', '-x', 'HEAD^', 'x y']) {
      expect((await rejection(m.resolve(repo.url, bad))).code).toBe('RevisionNotFound');
    }
    expect((await rejection(m.resolve(repo.url, 'ffff0000'))).code).toBe('RevisionNotFound');
  });

  it('refuses URLs it cannot use', async () => {
    const m = await newMirrors();
    for (const bad of ['', '/local/path', 'ftp://host/x', 'ext::sh -c touch% /tmp/pwned']) {
      expect((await rejection(m.resolve(bad))).code).toBe('InvalidRepoURL');
    }
  });

  it('reports a missing file:// repository as unreachable', async () => {
    const m = await newMirrors();
    const err = await rejection(m.resolve('file:///nonexistent/sluice/repo.git'));
    expect(err.code).toBe('RepoUnreachable');
    expect(err.message).toContain(
      'repo file:///nonexistent/sluice/repo.git: cannot fetch: git said:',
    );
  });

  it('says so when git is not installed', async () => {
    const m = await newMirrors();
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await rejection(m.resolve(repo.url));
      expect(err.code).toBe('GitMissing');
      expect(err.hint).toContain('install git');
    } finally {
      process.env.PATH = path;
    }
  });

  it('reports a closed port as unreachable, quickly', async () => {
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const addr = s.address();
        s.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const m = await newMirrors();
    const started = Date.now();
    const err = await rejection(m.resolve(`http://127.0.0.1:${port}/x.git`, 'main'));
    expect(err.code).toBe('RepoUnreachable');
    expect(err.message).toContain(`repo http://127.0.0.1:${port}/x.git`);
    expect(err.hint).toMatch(/reachable/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('GitMirrors.tree', () => {
  it('checks out the whole tree of a commit, once, even when asked 10 times at once', async () => {
    const m = await newMirrors();
    const { sha } = await m.resolve(repo.url, 'v2');
    const paths = await Promise.all(Array.from({ length: 10 }, () => m.tree(repo.url, sha)));
    expect(new Set(paths).size).toBe(1);
    expect(m.stats.extractions).toBe(1);
    const root = paths[0] ?? '';
    expect(root).toMatch(/^\//);
    expect(await readFile(join(root, 'app/svc.yaml'), 'utf8')).toBe('kind: Service\n');
    expect((await readdir(root)).sort()).toEqual(['README.md', 'app']);
    // Cached: a later call extracts nothing.
    expect(await m.tree(repo.url, sha)).toBe(root);
    expect(m.stats.extractions).toBe(1);
    // The older commit has its own tree without the later file.
    const old = await m.tree(repo.url, first);
    expect((await readdir(join(old, 'app'))).sort()).toEqual(['deploy.yaml']);
  });

  it('prunes the trees not kept', async () => {
    const m = await newMirrors();
    await m.resolve(repo.url);
    const a = await m.tree(repo.url, first);
    const b = await m.tree(repo.url, second);
    await m.pruneTrees(repo.url, new Set([second]));
    await expect(stat(a)).rejects.toThrow();
    expect((await stat(b)).isDirectory()).toBe(true);
    // A pruned tree comes back when asked for again.
    expect(await m.tree(repo.url, first)).toBe(a);
  });

  it('refuses a SHA the mirror does not have', async () => {
    const m = await newMirrors();
    await m.resolve(repo.url);
    const err = await rejection(m.tree(repo.url, 'f'.repeat(40)));
    expect(err.code).toBe('RevisionNotFound');
    expect((await rejection(m.tree(repo.url, 'main'))).code).toBe('RevisionNotFound');
  });
});

describe('GitMirrors.commitInfo', () => {
  it('returns author, ISO date and subject', async () => {
    const m = await newMirrors();
    await m.resolve(repo.url);
    expect(await m.commitInfo(repo.url, second)).toEqual({
      sha: second,
      author: 'Ada Lovelace <ada@example.com>',
      date: '2024-05-01T12:00:00+02:00',
      subject: 'second: add service',
    });
  });
});
