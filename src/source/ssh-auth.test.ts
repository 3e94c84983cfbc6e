import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirrors, SourceError } from './index.ts';
import { git, TestRepo, tempDir } from './testing/fixtures.ts';
import { freePort, hasSshd, sshKeygen, startSshd, type Sshd } from './testing/sshd.ts';

// CI installs openssh-server; elsewhere the suite is skipped when sshd is missing.
const available = await hasSshd();
if (!available && process.env.CI)
  throw new Error('sshd is required in CI (apt-get install openssh-server)');

describe.skipIf(!available)('ssh authentication (a private sshd on 127.0.0.1)', () => {
  let root: { path: string; remove: () => Promise<void> };
  let sshd: Sshd;
  let url: string;
  let sha: string;
  let goodKey: string;
  let wrongKey: string;
  let hostKey2: string;

  beforeAll(async () => {
    root = await tempDir('ssh');
    const work = await TestRepo.init(join(root.path, 'work'));
    sha = await work.commit({ 'app/cm.yaml': 'kind: ConfigMap\n' }, 'initial');
    const served = join(root.path, 'srv', 'deploy.git');
    await git(root.path, 'clone', '-q', '--bare', work.dir, served);
    const hostKey = join(root.path, 'host_ed25519');
    await sshKeygen(hostKey);
    hostKey2 = join(root.path, 'host2_ed25519');
    await sshKeygen(hostKey2);
    const good = await sshKeygen(join(root.path, 'client_good'));
    goodKey = good.privateKey;
    wrongKey = (await sshKeygen(join(root.path, 'client_wrong'))).privateKey;
    const port = await freePort();
    sshd = await startSshd({ dir: root.path, port, hostKey, authorizedKey: good.publicKey });
    url = `ssh://${sshd.user}@127.0.0.1:${port}${served}`;
  });

  afterAll(async () => {
    await sshd?.stop();
    await root?.remove();
  });

  function mirrors(): { m: GitMirrors; dir: string } {
    const dir = join(root.path, `mirrors-${Math.random().toString(36).slice(2)}`);
    return { m: new GitMirrors({ dir, fetchTimeoutMs: 20_000 }), dir };
  }

  it('clones and fetches with the authorised key, pins the host key, removes the key file', async () => {
    const { m, dir } = mirrors();
    const creds = { sshPrivateKey: goodKey };
    expect(await m.resolve(url, 'main', { credentials: creds })).toEqual({
      sha,
      ref: 'refs/heads/main',
    });
    expect(await m.resolve(url, 'main', { credentials: creds, refresh: true })).toMatchObject({
      sha,
    });
    expect(m.stats).toMatchObject({ clones: 1, fetches: 2 });
    const [mirror] = await readdir(join(dir, 'mirrors'));
    const knownHosts = await readFile(join(dir, 'mirrors', mirror ?? '', 'known_hosts'), 'utf8');
    expect(knownHosts).toContain('ssh-ed25519');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(await readFile(join(await m.tree(url, sha), 'app/cm.yaml'), 'utf8')).toBe(
      'kind: ConfigMap\n',
    );
  });

  it('fails with AuthFailed on a key the server does not accept, or no key', async () => {
    const { m, dir } = mirrors();
    const err = await m.resolve(url, 'main', { credentials: { sshPrivateKey: wrongKey } }).then(
      () => undefined,
      (e: unknown) => e as SourceError,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect(err?.code).toBe('AuthFailed');
    expect(err?.message).toContain('Permission denied (publickey)');
    expect(err?.message).not.toContain('PRIVATE KEY');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    await expect(m.resolve(url)).rejects.toMatchObject({ code: 'AuthFailed' });
  });

  it('with known_hosts in the credentials, trusts only those host keys (no trust on first use)', async () => {
    const pub = async (f: string) =>
      `[127.0.0.1]:${sshd.port} ${(await readFile(join(root.path, f), 'utf8')).trim().split(' ').slice(0, 2).join(' ')}`;
    const right = { sshPrivateKey: goodKey, sshKnownHosts: await pub('host_ed25519.pub') };
    expect((await mirrors().m.resolve(url, 'main', { credentials: right })).sha).toBe(sha);
    const wrong = { sshPrivateKey: goodKey, sshKnownHosts: await pub('host2_ed25519.pub') };
    const err = await mirrors()
      .m.resolve(url, 'main', { credentials: wrong })
      .then(
        () => undefined,
        (e: unknown) => e as SourceError,
      );
    expect(err?.code).toBe('AuthFailed');
    expect(err?.message).toContain('host key verification failed');
  });

  it('refuses a server whose host key changed since first contact', async () => {
    const { m } = mirrors();
    await m.resolve(url, 'main', { credentials: { sshPrivateKey: goodKey } });
    await sshd.stop();
    sshd = await startSshd({
      dir: root.path,
      port: sshd.port,
      hostKey: hostKey2,
      authorizedKey: `${(await readFile(join(root.path, 'client_good.pub'), 'utf8')).trim()}\n`,
    });
    const err = await m
      .resolve(url, 'main', { credentials: { sshPrivateKey: goodKey }, refresh: true })
      .then(
        () => undefined,
        (e: unknown) => e as SourceError,
      );
    expect(err?.code).toBe('AuthFailed');
    expect(err?.message).toContain('host key verification failed');
  });
});
