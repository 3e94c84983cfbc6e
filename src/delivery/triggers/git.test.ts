/** TriggerGit against real repositories in temp directories (git CLI, file:// URLs). */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../source/index.ts';
import { TestRepo, tempDir } from '../../source/testing/fixtures.ts';
import { parseLsRemote, TriggerGit } from './git.ts';

const cleanup: Array<() => Promise<void>> = [];
let repo: TestRepo;
let git: TriggerGit;
let first: string;
let second: string;
let feature: string;

beforeAll(async () => {
  const t = await tempDir('trigger-git');
  cleanup.push(t.remove);
  repo = await TestRepo.init(join(t.path, 'app'));
  first = await repo.commit({ 'src/a.ts': 'a\n', 'README.md': '# app\n' }, 'first');
  second = await repo.commit({ 'src/b.ts': 'b\n', 'docs/x.md': 'x\n' }, 'second\n\nbody line');
  await repo.git('tag', '-a', '-m', 'release 1', 'v1');
  await repo.git('checkout', '-q', '-b', 'feature');
  feature = await repo.commit({ 'src/c.ts': 'c\n' }, 'feature work');
  await repo.git('checkout', '-q', 'main');
  git = new TriggerGit({ dir: join(t.path, 'work') });
});

afterAll(async () => {
  for (const c of cleanup) await c();
});

describe('parseLsRemote', () => {
  it('keeps branches and tags, peeling annotated tags', () => {
    const out = [
      `${'a'.repeat(40)}\tHEAD`,
      `${'b'.repeat(40)}\trefs/heads/main`,
      `${'c'.repeat(40)}\trefs/tags/v1`,
      `${'d'.repeat(40)}\trefs/tags/v1^{}`,
      `${'e'.repeat(40)}\trefs/pull/1/head`,
    ].join('\n');
    expect([...parseLsRemote(out)]).toEqual([
      ['refs/heads/main', 'b'.repeat(40)],
      ['refs/tags/v1', 'd'.repeat(40)],
    ]);
  });
});

describe('TriggerGit', () => {
  it('lists branch and tag tips without a mirror', async () => {
    const refs = await git.lsRemote(repo.url);
    expect(refs.get('refs/heads/main')).toBe(second);
    expect(refs.get('refs/heads/feature')).toBe(feature);
    expect(refs.get('refs/tags/v1')).toBe(second);
  });

  it('says RepoUnreachable for a repository that is not there', async () => {
    const err = await git.lsRemote('file:///nonexistent/repo.git').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('RepoUnreachable');
  });

  it('reads author, message and the files changed since the previous commit', async () => {
    await git.resolve(repo.url, 'refs/heads/main', undefined, true);
    const d = await git.details(repo.url, second, first);
    expect(d).toEqual({
      author: 'Ada Lovelace <ada@example.com>',
      message: 'second\n\nbody line',
      files: ['docs/x.md', 'src/b.ts'],
      changed: 2,
    });
  });

  it('compares a new branch with where it left the default branch', async () => {
    const d = await git.details(repo.url, feature);
    expect(d.files).toEqual(['src/c.ts']);
    expect(await git.defaultBranch(repo.url)).toBe('refs/heads/main');
  });

  it('a previous commit the mirror does not have falls back to the fork point', async () => {
    const d = await git.details(repo.url, feature, 'f'.repeat(40));
    expect(d.files).toEqual(['src/c.ts']);
  });
});
