/**
 * catalog/set-image on the real node, in Sluice's image, against bare repositories on this
 * machine served by `git http-backend` behind Basic auth (relayed on the host end of the node's
 * link). Each bare repository refuses non-fast-forward pushes (`receive.denyNonFastForwards`), so
 * a forced push would fail loudly, and keeps a reflog of its branch.
 *
 * A push that meets a newer head is made deterministic by a `pre-receive` hook: on the first push
 * it moves `main` to a commit prepared beforehand (another writer's, on the same head the Task
 * fetched), so the Task's push loses the race for the ref and must fetch, re-apply and push again.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kube, useNamespace } from './harness.ts';
import {
  applyCatalogTask,
  runCatalogTask,
  serveGitToNode,
  sluiceImageRef,
  startTaskRuns,
  stepLog,
  timing,
  type CatalogRun,
  type HostGitServer,
} from './catalog-harness.ts';

const ns = useNamespace('cat-setimg');
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
  }).trim();

const KUSTOMIZATION = `# dev: what CI deploys (set-image writes the web entry)
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base # the app's manifests
images:
  # the app, built by CI from its repository
  - name: web
    newName: localhost:5000/demo/web # the dev registry
    newTag: "0000000" # replaced by set-image
  - name: api # built elsewhere
    newTag: v1
`;

const VALUES = `# web chart, dev values
replicaCount: 1
image:
  repository: localhost:5000/demo/web # the dev registry
  tag: "0000000" # set by CI
  digest: "" # set by CI
`;

const AUTH = { username: 'ci', password: 's3cret-pw', bearerToken: 's3cret-token' };
const SOURCE = 'f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
const DIGEST = `sha256:${'4b'.repeat(32)}`;
const IMAGE = `web=localhost:5000/demo/web:${SOURCE}@${DIGEST}`;

let dir = '';
let image = '';
let server: HostGitServer | undefined;
/** The commit the race hook moves `main` of raced.git to. */
let other = '';

/** A bare repository `<name>.git` holding `files` on main, refusing non-fast-forwards. */
async function bareRepo(name: string, files: Record<string, string>): Promise<string> {
  const work = join(dir, `${name}-work`);
  await mkdir(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'config', 'user.email', 'dev@example.com');
  git(work, 'config', 'user.name', 'Dev');
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(work, file)), { recursive: true });
    await writeFile(join(work, file), text);
  }
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'initial');
  const bare = join(dir, `${name}.git`);
  git(dir, 'clone', '-q', '--bare', work, bare);
  git(bare, 'config', 'receive.denyNonFastForwards', 'true');
  git(bare, 'config', 'core.logAllRefUpdates', 'always');
  return bare;
}

beforeAll(async () => {
  image = await sluiceImageRef();
  dir = await mkdtemp(join(tmpdir(), 'sluice-catalog-set-image-'));
  await bareRepo('deploy', { 'envs/dev/kustomization.yaml': KUSTOMIZATION });
  await bareRepo('chart', { 'charts/web/values-dev.yaml': VALUES });
  const raced = await bareRepo('raced', { 'envs/dev/kustomization.yaml': KUSTOMIZATION });
  // Another writer's commit on main's head (api v1 → v2), kept under a ref that is no branch.
  const work = join(dir, 'raced-work');
  await writeFile(
    join(work, 'envs/dev/kustomization.yaml'),
    KUSTOMIZATION.replace('newTag: v1', 'newTag: v2'),
  );
  const base = git(raced, 'rev-parse', 'main');
  git(work, 'commit', '-q', '-am', 'api v2');
  other = git(work, 'rev-parse', 'HEAD');
  git(work, 'push', '-q', raced, 'HEAD:refs/race/other');
  // Ref updates are refused inside the push's object quarantine: leave it (the commit is
  // already in the repository's own store).
  await writeFile(
    join(raced, 'hooks', 'pre-receive'),
    [
      '#!/bin/sh',
      'cat >/dev/null',
      '[ -e raced ] && exit 0',
      ': > raced',
      'env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \\',
      `  git update-ref -m "another writer" refs/heads/main ${other} ${base}`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  server = await serveGitToNode(dir, AUTH);
}, 600_000);

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const repoUrl = (name: string): string => `${server?.base ?? ''}/${name}.git`;

async function secret(name: string, data: Record<string, string>): Promise<void> {
  const k = await kube();
  await k.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns() },
    stringData: data,
  });
}

/** Runs the Task as `name` with `params` (the image and Sluice's image added). */
async function setImage(
  name: string,
  params: Record<string, string>,
  authSecret: string,
  o: Pick<CatalogRun, 'labels'> = {},
) {
  const k = await kube();
  return runCatalogTask(k, ns(), name, 'set-image', {
    params: Object.entries({ image: IMAGE, sluiceImage: image, ...params }).map(([n, value]) => ({
      name: n,
      value,
    })),
    workspaces: [{ name: 'basic-auth', secret: { secretName: authSecret } }],
    follow: 'set-image',
    ...o,
  });
}

async function prepare(): Promise<void> {
  const k = await kube();
  await startTaskRuns(k, ns());
  await applyCatalogTask(k, ns(), 'set-image');
  await secret('creds', { username: AUTH.username, password: AUTH.password });
}

/** The `+`/`-` lines of a commit's diff (no headers). */
const changedLines = (bare: string, commit: string): string[] =>
  git(bare, 'diff', '--unified=0', `${commit}~1`, commit)
    .split('\n')
    .filter((l) => /^[+-](?![+-])/.test(l));

describe('catalog/set-image', () => {
  it('writes tag and digest into a kustomization and a values file, comments kept; the same image again commits nothing', async () => {
    await prepare();
    await secret('token', { token: AUTH.bearerToken });
    const deploy = join(dir, 'deploy.git');
    const chart = join(dir, 'chart.git');
    const [kz, values] = await Promise.all([
      setImage(
        'kustomize',
        { 'repo-url': repoUrl('deploy'), path: 'envs/dev', 'source-commit': SOURCE },
        'creds',
      ),
      setImage(
        'values',
        {
          'repo-url': repoUrl('chart'),
          'values-file': 'charts/web/values-dev.yaml',
          key: 'image.tag',
          'digest-key': 'image.digest',
          image: `localhost:5000/demo/web:${SOURCE}@${DIGEST}`,
          run: 'ci-run-42',
          'author-name': 'CI Bot',
          'author-email': 'ci@example.com',
        },
        'token',
      ),
    ]);
    expect(kz.ok, `${kz.message}\n${kz.log}`).toBe(true);
    expect(kz.results).toEqual({ commit: git(deploy, 'rev-parse', 'main'), changed: 'true' });
    const message = git(deploy, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Source commit: ${SOURCE}`);
    // No run param and no PipelineRun: the TaskRun names itself.
    expect(message).toContain('Run: kustomize');
    expect(git(deploy, 'log', '-1', '--format=%an <%ae>', 'main')).toBe(
      'Sluice <sluice@sluice.dev>',
    );
    expect(changedLines(deploy, 'main')).toEqual([
      '-    newTag: "0000000" # replaced by set-image',
      `+    newTag: "${SOURCE}" # replaced by set-image`,
      `+    digest: ${DIGEST}`,
    ]);
    const written = git(deploy, 'show', 'main:envs/dev/kustomization.yaml');
    for (const line of KUSTOMIZATION.split('\n').filter((l) => l.includes('#')))
      if (!line.includes('newTag')) expect(written).toContain(line);
    expect(await stepLog(await kube(), ns(), kz, 'set-image')).toContain(
      `set-image: pushed ${kz.results['commit'] ?? '?'} to main`,
    );

    expect(values.ok, `${values.message}\n${values.log}`).toBe(true);
    expect(values.results).toEqual({ commit: git(chart, 'rev-parse', 'main'), changed: 'true' });
    expect(git(chart, 'log', '-1', '--format=%an <%ae>%n%B', 'main')).toMatch(
      /^CI Bot <ci@example.com>\n[^]*Run: ci-run-42/,
    );
    expect(changedLines(chart, 'main')).toEqual([
      '-  tag: "0000000" # set by CI',
      '-  digest: "" # set by CI',
      `+  tag: "${SOURCE}" # set by CI`,
      `+  digest: "${DIGEST}" # set by CI`,
    ]);

    const head = git(deploy, 'rev-parse', 'main');
    const again = await setImage(
      'again',
      { 'repo-url': repoUrl('deploy'), path: 'envs/dev', 'source-commit': SOURCE },
      'creds',
    );
    expect(again.ok, `${again.message}\n${again.log}`).toBe(true);
    expect(again.results).toEqual({ commit: '', changed: 'false' });
    expect(git(deploy, 'rev-parse', 'main')).toBe(head);
    expect(await stepLog(await kube(), ns(), again, 'set-image')).toContain('no commit');
    timing('set-image (kustomize, pushed)', kz);
    timing('set-image (no change)', again);
  });

  it('a push that meets a newer head fetches it, re-applies the edit and pushes: linear, never forced', async () => {
    await prepare();
    // The credentials as git's store keeps them, like git-clone's basic-auth Secret may.
    const stored = server?.base.replace('http://', `http://${AUTH.username}:${AUTH.password}@`);
    await secret('store', { '.git-credentials': `https://elsewhere.example\n${stored ?? ''}\n` });
    const raced = join(dir, 'raced.git');
    const base = git(raced, 'rev-parse', 'main');
    const run = await setImage(
      'raced',
      { 'repo-url': repoUrl('raced'), path: 'envs/dev', 'source-commit': SOURCE },
      'store',
      { labels: { 'tekton.dev/pipelineRun': 'ci-run-7' } },
    );
    expect(run.ok, `${run.message}\n${run.log}`).toBe(true);
    const head = git(raced, 'rev-parse', 'main');
    expect(run.results).toEqual({ commit: head, changed: 'true' });
    const log = await stepLog(await kube(), ns(), run, 'set-image');
    expect(log).toContain('met a newer head');
    expect(log).toContain('after 1 retry');
    // Linear: the Task's commit on the other writer's, on the original head; one parent each.
    expect(git(raced, 'log', '--format=%H %P', 'main').split('\n')).toEqual([
      `${head} ${other}`,
      `${other} ${base}`,
      base,
    ]);
    expect(git(raced, 'log', '-1', '--format=%B', 'main')).toContain('Run: ci-run-7');
    const file = git(raced, 'show', 'main:envs/dev/kustomization.yaml');
    expect(file).toContain(`newTag: "${SOURCE}" # replaced by set-image`);
    expect(file).toContain('newTag: v2');
    // Every move of main (the reflog) went forward; force was never possible either.
    expect(git(raced, 'config', 'receive.denyNonFastForwards')).toBe('true');
    const moves = git(raced, 'reflog', 'show', '--format=%H', 'refs/heads/main').split('\n');
    expect(moves).toEqual([head, other]);
    timing('set-image (after a lost race)', run);
  });

  it('refuses a wrong password naming the repository, latest, and an image without digest; no secret in any log', async () => {
    await prepare();
    await secret('wrong', { username: AUTH.username, password: 'not-the-pw-9x' });
    const deploy = join(dir, 'deploy.git');
    const head = git(deploy, 'rev-parse', 'main');
    const params = { 'repo-url': repoUrl('deploy'), path: 'envs/dev' };
    const [bad, latest, bare] = await Promise.all([
      setImage('wrong-password', params, 'wrong'),
      setImage(
        'latest',
        { ...params, image: `web=localhost:5000/demo/web:latest@${DIGEST}` },
        'creds',
      ),
      setImage('no-digest', { ...params, image: 'localhost:5000/demo/web:3f2a9c1' }, 'creds'),
    ]);
    const k = await kube();
    expect(bad.ok).toBe(false);
    const badLog = await stepLog(k, ns(), bad, 'set-image');
    expect(badLog).toContain(
      `repo ${repoUrl('deploy')} branch main: authentication failed: the server refused the credentials`,
    );
    const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');
    for (const leak of ['not-the-pw-9x', basic(AUTH.username, 'not-the-pw-9x')])
      expect(`${badLog}\n${bad.message}`).not.toContain(leak);
    expect(latest.ok).toBe(false);
    expect(await stepLog(k, ns(), latest, 'set-image')).toContain('refused, the tag latest');
    expect(bare.ok).toBe(false);
    expect(await stepLog(k, ns(), bare, 'set-image')).toContain('refused, no digest');
    expect(git(deploy, 'rev-parse', 'main')).toBe(head);
    timing('set-image (wrong password)', bad);
  });
});
