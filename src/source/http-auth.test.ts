import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirrors, SourceError } from './index.ts';
import { git, TestRepo, tempDir } from './testing/fixtures.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';

const USER = 'deployer';
const PASSWORD = 'correct-horse-battery-staple';
const TOKEN = 'glpat-0123456789abcdef';
const WRONG = 'Tr0ub4dor&3-wrong-password';

let root: { path: string; remove: () => Promise<void> };
let server: GitHttpServer;
let hold: (() => Promise<void>) | undefined;
let url: string;
let sha: string;

beforeAll(async () => {
  root = await tempDir('http');
  const work = await TestRepo.init(join(root.path, 'work'));
  sha = await work.commit({ 'app/cm.yaml': 'kind: ConfigMap\n' }, 'initial');
  await git(
    root.path,
    'clone',
    '-q',
    '--bare',
    work.dir,
    join(root.path, 'srv', 'org', 'deploy.git'),
  );
  server = await startGitHttpServer({
    projectRoot: join(root.path, 'srv'),
    username: USER,
    password: PASSWORD,
    bearerToken: TOKEN,
    onRequest: () => (hold ? hold() : Promise.resolve()),
  });
  url = `${server.baseURL}/org/deploy.git`;
});

afterAll(async () => {
  await server.close();
  await root.remove();
});

let mirrorsCount = 0;
function mirrors(): GitMirrors {
  return new GitMirrors({
    dir: join(root.path, `mirrors-${++mirrorsCount}`),
    fetchTimeoutMs: 20_000,
  });
}

function everything(err: SourceError): string {
  return [
    err.message,
    err.hint,
    err.describe(),
    err.stack,
    JSON.stringify(err),
    String(err.cause),
  ].join('\n');
}

describe('https-style authentication (git http-backend behind Basic/Bearer auth)', () => {
  it('works with the right user name and password, sent in a header', async () => {
    const m = mirrors();
    const r = await m.resolve(url, 'main', { credentials: { username: USER, password: PASSWORD } });
    expect(r).toEqual({ sha, ref: 'refs/heads/main' });
    // Refreshing sends them again.
    await m.resolve(url, 'main', {
      credentials: { username: USER, password: PASSWORD },
      refresh: true,
    });
    expect(m.stats.fetches).toBe(2);
    const tree = await m.tree(url, sha);
    expect(tree).toMatch(/^\//);
  });

  it('works with a bearer token', async () => {
    const m = mirrors();
    const seen = server.authHeaders.length;
    const r = await m.resolve(url, 'main', { credentials: { bearerToken: TOKEN } });
    expect(r.sha).toBe(sha);
    expect(server.authHeaders.slice(seen)).toContain(`Bearer ${TOKEN}`);
  });

  it('uses credentials written in the URL without passing them to git', async () => {
    const m = mirrors();
    const withCreds = url.replace('http://', `http://${USER}:${PASSWORD}@`);
    const r = await m.resolve(withCreds, 'main');
    expect(r.sha).toBe(sha);
    // Same mirror as the plain URL.
    await m.resolve(url, 'main');
    expect(m.stats.clones).toBe(1);
  });

  it('fails fast with AuthFailed on a wrong password, which appears nowhere in the error', async () => {
    const m = mirrors();
    const started = Date.now();
    const err = await m
      .resolve(url, 'main', { credentials: { username: USER, password: WRONG } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(SourceError);
    const e = err as SourceError;
    expect(e.code).toBe('AuthFailed');
    expect(e.message).toContain(
      `repo ${url}: authentication failed: the server refused the credentials`,
    );
    expect(e.hint).toMatch(/Secret/);
    expect(e.repoURL).toBe(url);
    const text = everything(e);
    expect(text).not.toContain(WRONG);
    expect(text).not.toContain(Buffer.from(`${USER}:${WRONG}`).toString('base64'));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails with AuthFailed without credentials, and hides a token written in the URL', async () => {
    const m = mirrors();
    const none = await m.resolve(url).then(
      () => undefined,
      (e: unknown) => e as SourceError,
    );
    expect(none?.code).toBe('AuthFailed');
    expect(none?.message).toContain('the server requires credentials and none were given');
    const err = await m.resolve(url.replace('http://', 'http://not-the-token@')).then(
      () => undefined,
      (e: unknown) => e as SourceError,
    );
    expect(err?.code).toBe('AuthFailed');
    expect(everything(err as SourceError)).not.toContain('not-the-token');
  });

  it('never puts the credentials in a process command line', async () => {
    const m = mirrors();
    const leaks: string[] = [];
    let sawGit = false;
    hold = async () => {
      // While git waits for this answer, read every process's command line.
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmd.includes('/org/deploy.git')) sawGit = true;
        if (
          cmd.includes(PASSWORD) ||
          cmd.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'))
        )
          leaks.push(cmd.replace(/\0/g, ' '));
      }
    };
    try {
      await m.resolve(url, 'main', { credentials: { username: USER, password: PASSWORD } });
    } finally {
      hold = undefined;
    }
    expect(sawGit).toBe(true);
    expect(leaks).toEqual([]);
  });
});
