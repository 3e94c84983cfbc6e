/**
 * catalog/git-clone on the real node, in Sluice's image, against real Git servers on this
 * machine. Pods on the real node reach the host at the host end of the node's link (`hostIp`,
 * routed by the node's namespace; nothing leaves the machine), so the file's one fixture is a
 * bare repository served there twice: by `git http-backend` behind Basic auth (the test helper
 * listens on 127.0.0.1; a TCP relay on hostIp fronts it) and by an `sshd` of the host with a
 * throw-away host key and config, bound to hostIp only (src/source/testing/sshd.ts). Credentials come from Secrets bound to
 * the `basic-auth` and `ssh-directory` workspaces.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devcluster/net.ts';
import { startGitHttpServer, type GitHttpServer } from '../../src/source/git-http-server.ts';
import { SSHD, startSshd, type Sshd } from '../../src/source/testing/sshd.ts';
import { kube, useNamespace } from './harness.ts';
import {
  applyCatalogTask,
  hostAddress,
  runCatalogTask,
  sluiceImageRef,
  startTaskRuns,
  stepLog,
  timing,
} from './catalog-harness.ts';

const ns = useNamespace('cat-git');
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
  }).trim();

let dir = '';
let image = '';
let host = '';
let http: GitHttpServer | undefined;
let relay: Server | undefined;
let httpUrl = '';
let sshd: Sshd | undefined;
let sshUrl = '';
const commits: Record<string, string> = {};

beforeAll(async () => {
  image = await sluiceImageRef();
  host = await hostAddress();
  dir = await mkdtemp(join(tmpdir(), 'sluice-catalog-git-'));
  // The repository: two commits on main, the first tagged v1.0.0.
  const work = join(dir, 'work');
  execFileSync('mkdir', ['-p', work]);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'config', 'user.email', 'dev@example.com');
  git(work, 'config', 'user.name', 'Dev');
  await writeFile(join(work, 'README.md'), 'one\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'one');
  git(work, 'tag', 'v1.0.0');
  commits['v1'] = git(work, 'rev-parse', 'HEAD');
  await writeFile(join(work, 'README.md'), 'two\n');
  git(work, 'commit', '-q', '-am', 'two');
  commits['main'] = git(work, 'rev-parse', 'HEAD');
  git(dir, 'clone', '-q', '--bare', work, join(dir, 'repo.git'));

  http = await startGitHttpServer({
    projectRoot: dir,
    username: 'ci',
    password: 's3cret',
    bearerToken: 'unused',
  });
  const target = new URL(http.baseURL);
  relay = createServer((c) => {
    const up = connect(Number(target.port), target.hostname);
    c.pipe(up).pipe(c);
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
  });
  await new Promise<void>((done) => relay?.listen(0, host, done));
  const address = relay.address();
  httpUrl = `http://${host}:${typeof address === 'object' && address ? address.port : 0}/repo.git`;

  if (existsSync(SSHD)) {
    const port = await freePort();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    await chmod(dir, 0o755);
    sshd = await startSshd({
      dir,
      port,
      hostKey: join(dir, 'host_key'),
      authorizedKey: await readFile(join(dir, 'client_key.pub'), 'utf8'),
      listenAddress: host,
    });
    const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ');
    await writeFile(join(dir, 'known_hosts'), `[${host}]:${port} ${hostKey[0]} ${hostKey[1]}\n`);
    sshUrl = `ssh://${sshd.user}@${host}:${port}${join(dir, 'repo.git')}`;
  }
}, 600_000);

afterAll(async () => {
  await sshd?.stop();
  relay?.close();
  await http?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function secret(name: string, data: Record<string, string>): Promise<void> {
  const k = await kube();
  await k.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns() },
    stringData: data,
  });
}

const clone = (name: string, url: string, revision: string, auth: Record<string, string>) =>
  kube().then((k) =>
    runCatalogTask(k, ns(), name, 'git-clone', {
      params: [
        { name: 'url', value: url },
        { name: 'revision', value: revision },
        { name: 'gitImage', value: image },
      ],
      workspaces: [
        { name: 'output', emptyDir: {} },
        ...Object.entries(auth).map(([workspace, secretName]) => ({
          name: workspace,
          secret: { secretName },
        })),
      ],
      follow: 'clone',
    }),
  );

describe('catalog/git-clone', () => {
  it('clones over http with Basic auth from a Secret: a branch, a tag, a commit; a bad password fails', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await applyCatalogTask(k, ns(), 'git-clone');
    await secret('creds', { username: 'ci', password: 's3cret' });
    await secret('wrong', { username: 'ci', password: 'nope' });
    await secret('store', {
      '.git-credentials':
        httpUrl.replace('http://', 'http://ci:s3cret@').replace('/repo.git', '') + '\n',
    });
    const [main, tag, sha, store, bad] = await Promise.all([
      clone('main', httpUrl, 'main', { 'basic-auth': 'creds' }),
      clone('tag', httpUrl, 'v1.0.0', { 'basic-auth': 'creds' }),
      clone('sha', httpUrl, commits['v1'] ?? '', { 'basic-auth': 'creds' }),
      clone('store', httpUrl, '', { 'basic-auth': 'store' }),
      clone('bad', httpUrl, 'main', { 'basic-auth': 'wrong' }),
    ]);
    expect(main.ok, main.message).toBe(true);
    expect(main.results).toMatchObject({
      commit: commits['main'],
      'short-commit': commits['main']?.slice(0, 7),
      url: httpUrl,
    });
    expect(Number(main.results['committer-date'])).toBeGreaterThan(1_600_000_000);
    expect(tag.results['commit']).toBe(commits['v1']);
    expect(sha.results['commit']).toBe(commits['v1']);
    expect(store.results['commit']).toBe(commits['main']);
    expect(bad.ok).toBe(false);
    expect(await stepLog(k, ns(), bad, 'clone')).toMatch(
      /Authentication failed|cannot fetch revision main/,
    );
    timing('git-clone (http, basic auth)', main);
  });

  it.skipIf(!existsSync(SSHD))(
    'clones over ssh with a key and known_hosts from a Secret; no known_hosts is refused',
    async () => {
      const k = await kube();
      await startTaskRuns(k, ns());
      await applyCatalogTask(k, ns(), 'git-clone');
      const key = await readFile(join(dir, 'client_key'), 'utf8');
      await secret('ssh', {
        id_ed25519: key,
        known_hosts: await readFile(join(dir, 'known_hosts'), 'utf8'),
      });
      await secret('ssh-no-hosts', { 'ssh-privatekey': key });
      const [ok, refused] = await Promise.all([
        clone('ssh', sshUrl, 'main', { 'ssh-directory': 'ssh' }),
        clone('ssh-refused', sshUrl, 'main', { 'ssh-directory': 'ssh-no-hosts' }),
      ]);
      expect(ok.ok, `${ok.message}\n${ok.log}`).toBe(true);
      expect(ok.results['commit']).toBe(commits['main']);
      expect(refused.ok).toBe(false);
      expect(await stepLog(k, ns(), refused, 'clone')).toContain(
        'the ssh-directory Secret has no known_hosts',
      );
      timing('git-clone (ssh)', ok);
    },
  );
});
