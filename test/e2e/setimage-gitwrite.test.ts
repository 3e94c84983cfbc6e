/**
 * Writing image changes to real Git repositories (bare repositories in temp directories, and one
 * behind an authenticated smart-HTTP server): the commit lands with its message and author and
 * touches only the value; a no-op makes no commit; writers racing for one branch all land, none
 * forced; refusals and bad input fail with errors naming the repository, branch and file.
 * Needs no Kubernetes cluster.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  editYamlFiles,
  GitWriteError,
  writeToGit,
  type GitWriteOptions,
} from '../../src/delivery/gitwrite/index.ts';
import { parseImageRef, setKustomizeImages } from '../../src/delivery/setimage/index.ts';
import { startGitHttpServer } from '../../src/source/git-http-server.ts';
import { git, TestRepo } from '../../src/source/testing/fixtures.ts';
import { execFile } from '../../src/util/exec.ts';

const KUSTOMIZATION = `# dev overlay
resources: [../base]
images:
  - name: web
    newName: localhost:5000/web   # built by CI
    newTag: "1.0.0"
  - name: api
    newTag: v1
`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A bare repository holding `dev/kustomization.yaml` on `main`; returns its path. */
async function bareRepo(): Promise<string> {
  const root = await temp('gitwrite');
  const work = await TestRepo.init(join(root, 'work'));
  await work.commit({ 'dev/kustomization.yaml': KUSTOMIZATION }, 'initial');
  const bare = join(root, 'deploy.git');
  const r = await execFile('git', ['clone', '-q', '--bare', work.dir, bare]);
  expect(r.code, r.stderr).toBe(0);
  return bare;
}

/** The GitWriteError a write failed with. */
async function failure(p: Promise<unknown>): Promise<GitWriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitWriteError);
  return err as GitWriteError;
}

const log = (bare: string, ...args: string[]) =>
  git(bare, 'log', '--format=%H %an <%ae> %s', ...args);

/** Options that set image `name` to `ref` in dev/kustomization.yaml. */
function setImage(bare: string, name: string, ref: string, extra: Partial<GitWriteOptions> = {}) {
  return {
    repoURL: `file://${bare}`,
    branch: 'main',
    author: { name: 'Sluice Bot', email: 'bot@sluice.dev' },
    edit: (dir: string) =>
      editYamlFiles(dir, [
        {
          file: 'dev/kustomization.yaml',
          edit: (text, file) => setKustomizeImages(text, [{ name, ref: parseImageRef(ref) }], file),
        },
      ]),
    message: () => `deploy ${ref}\n\nsource commit 3f2a9c1, run ci-run-1`,
    backoffMs: 10,
    ...extra,
  } satisfies GitWriteOptions;
}

describe('writeToGit', () => {
  it('commits the new tag with the message and author, and the diff touches only the value', async () => {
    const bare = await bareRepo();
    const r = await writeToGit(setImage(bare, 'web', 'localhost:5000/web:1.1.0'));
    expect(r).toMatchObject({ pushed: true, branch: 'main', attempts: 1 });
    expect(r.files).toEqual([
      {
        file: 'dev/kustomization.yaml',
        changes: [{ path: 'images[name=web].newTag', oldValue: '1.0.0', newValue: '1.1.0' }],
      },
    ]);
    const [head] = (await log(bare, '-1')).split('\n');
    expect(head).toBe(`${r.commit} Sluice Bot <bot@sluice.dev> deploy localhost:5000/web:1.1.0`);
    expect(await git(bare, 'log', '-1', '--format=%B')).toContain(
      'source commit 3f2a9c1, run ci-run-1',
    );
    const diff = await git(bare, 'diff', '--unified=0', 'HEAD~1', 'HEAD');
    const changed = diff.split('\n').filter((l) => /^[+-] /.test(l));
    expect(changed).toEqual(['-    newTag: "1.0.0"', '+    newTag: "1.1.0"']);
  });

  it('makes no commit when the image is already there', async () => {
    const bare = await bareRepo();
    const before = await git(bare, 'rev-parse', 'main');
    const r = await writeToGit(setImage(bare, 'web', 'localhost:5000/web:1.0.0'));
    expect(r).toMatchObject({ pushed: false, base: before, attempts: 0 });
    expect(r.commit).toBeUndefined();
    expect(await git(bare, 'rev-parse', 'main')).toBe(before);
  });

  it('a writer that meets a newer head re-applies its edit on it: both commits land, none forced', async () => {
    const bare = await bareRepo();
    let other: Promise<unknown> | undefined;
    const first = setImage(bare, 'web', 'localhost:5000/web:2.0.0');
    const retries: string[] = [];
    const r = await writeToGit({
      ...first,
      // The other writer pushes while this one edits: this push then meets a newer head.
      edit: async (dir) => {
        other ??= writeToGit(setImage(bare, 'api', 'api:v2'));
        await other;
        return first.edit(dir);
      },
      onRetry: (_n, reason) => retries.push(reason),
    });
    expect(r).toMatchObject({ pushed: true, attempts: 2 });
    expect(retries).toEqual([expect.stringMatching(/^\[rejected\]/)]);
    const subjects = (await git(bare, 'log', '--format=%s', 'main')).split('\n');
    expect(subjects).toEqual(['deploy localhost:5000/web:2.0.0', 'deploy api:v2', 'initial']);
    const file = await git(bare, 'show', 'main:dev/kustomization.yaml');
    expect(file).toContain('newTag: "2.0.0"');
    expect(file).toContain('newTag: v2');
  });

  it('three writers at once on one branch: every commit lands on a linear history', async () => {
    const bare = await bareRepo();
    const results = await Promise.all([
      writeToGit(setImage(bare, 'web', 'localhost:5000/web:3.0.0')),
      writeToGit(setImage(bare, 'api', 'api:v3')),
      writeToGit(setImage(bare, 'worker', 'worker:v3')),
    ]);
    expect(results.every((r) => r.pushed)).toBe(true);
    const history = (await git(bare, 'log', '--format=%H %P', 'main')).split('\n');
    expect(history).toHaveLength(4);
    // Linear: every commit has one parent, the next one down.
    history.slice(0, -1).forEach((line, i) => {
      const [, parent] = line.split(' ');
      expect(parent).toBe(history[i + 1]?.split(' ')[0]);
    });
    const file = await git(bare, 'show', 'main:dev/kustomization.yaml');
    for (const v of ['3.0.0', 'newTag: v3', 'name: worker']) expect(file).toContain(v);
  });

  it('gives up after its attempts when others keep pushing first, never forcing', async () => {
    const bare = await bareRepo();
    let n = 0;
    const mine = setImage(bare, 'web', 'localhost:5000/web:9.0.0', { attempts: 2 });
    const err = await writeToGit({
      ...mine,
      edit: async (dir) => {
        n++;
        await writeToGit(setImage(bare, 'api', `api:v${10 + n}`));
        return mine.edit(dir);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitWriteError);
    expect(err).toMatchObject({ code: 'PushConflict', branch: 'main' });
    expect((err as Error).message).toMatch(
      /^repo file:\/\/.*deploy\.git branch main: others kept pushing first: 2 pushes/,
    );
    expect(await git(bare, 'show', 'main:dev/kustomization.yaml')).toContain('newTag: v12');
  });

  it('pushes to a new branch started from the checkout branch, then builds on it', async () => {
    const bare = await bareRepo();
    const r1 = await writeToGit(
      setImage(bare, 'web', 'localhost:5000/web:4.0.0', { pushBranch: 'auto' }),
    );
    const r2 = await writeToGit(setImage(bare, 'api', 'api:v4', { pushBranch: 'auto' }));
    expect([r1.pushed, r2.pushed]).toEqual([true, true]);
    expect((await git(bare, 'log', '--format=%s', 'auto')).split('\n')).toEqual([
      'deploy api:v4',
      'deploy localhost:5000/web:4.0.0',
      'initial',
    ]);
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');
  });

  it('a push refused by the server is PushRejected, not retried', async () => {
    const bare = await bareRepo();
    const hook = join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n', { mode: 0o755 });
    const err = await writeToGit(setImage(bare, 'web', 'localhost:5000/web:5.0.0')).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'PushRejected', branch: 'main' });
    expect((err as Error).message).toMatch(/the server refused the push: \[remote rejected\]/);
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');
  });

  it('names the missing branch, the broken file, and the path that leaves the repository', async () => {
    const bare = await bareRepo();
    const missing = await failure(writeToGit(setImage(bare, 'web', 'web:1', { branch: 'nope' })));
    expect(missing.code).toBe('BranchNotFound');
    expect(missing.message).toMatch(/branch nope: the branch does not exist/);
    const broken = setImage(bare, 'web', 'web:1');
    const bad = await failure(
      writeToGit({
        ...broken,
        edit: async (dir) => {
          await writeFile(join(dir, 'dev/kustomization.yaml'), 'images: [oops\n');
          return broken.edit(dir);
        },
      }),
    );
    expect([bad.code, bad.file]).toEqual(['EditFailed', 'dev/kustomization.yaml']);
    expect(bad.message).toMatch(
      /branch main file dev\/kustomization.yaml: the edit failed: .*not valid YAML at line/,
    );
    const escape = await failure(
      writeToGit({
        ...broken,
        edit: (dir) =>
          editYamlFiles(dir, [
            { file: '../../etc/passwd', edit: (t) => ({ text: t, changes: [] }) },
          ]),
      }),
    );
    expect(escape.code).toBe('EditFailed');
    expect(escape.message).toMatch(/leaves the repository/);
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');
  });

  it('pushes over authenticated https with repository credentials, which no message shows', async () => {
    const bare = await bareRepo();
    const root = join(bare, '..');
    const server = await startGitHttpServer({
      projectRoot: root,
      username: 'bot',
      password: 's3cret-pass',
      bearerToken: 'tok-123456',
    });
    cleanups.push(() => server.close());
    const url = `${server.baseURL}/deploy.git`;
    const ok = await writeToGit({
      ...setImage(bare, 'web', 'localhost:5000/web:6.0.0'),
      repoURL: url,
      credentials: { username: 'bot', password: 's3cret-pass' },
    });
    expect(ok.pushed).toBe(true);
    expect(await git(bare, 'log', '-1', '--format=%s', 'main')).toBe(
      'deploy localhost:5000/web:6.0.0',
    );
    const err = await writeToGit({
      ...setImage(bare, 'web', 'localhost:5000/web:7.0.0'),
      repoURL: url,
      credentials: { username: 'bot', password: 'wrong-pass-9' },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AuthFailed', branch: 'main' });
    expect((err as Error).message).not.toContain('wrong-pass-9');
    // The repository is unchanged by the refused attempt.
    expect(await readFile(join(bare, 'HEAD'), 'utf8')).toContain('refs/heads/main');
  });
});
