import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from '../util/exec.ts';
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

  /** The known_hosts line of a host key file, for this sshd. */
  const hostLine = async (f: string): Promise<string> =>
    `[127.0.0.1]:${sshd.port} ${(await readFile(join(root.path, f), 'utf8')).trim().split(' ').slice(0, 2).join(' ')}`;
  const fingerprint = async (f: string): Promise<string> =>
    (await execFile('ssh-keygen', ['-l', '-f', join(root.path, f)])).stdout.split(' ')[1] ?? '';

  it('clones and fetches with the authorised key and the trusted host key, removes the key file', async () => {
    const { m, dir } = mirrors();
    const creds = { sshPrivateKey: goodKey, sshKnownHosts: await hostLine('host_ed25519.pub') };
    expect(await m.resolve(url, 'main', { credentials: creds })).toEqual({
      sha,
      ref: 'refs/heads/main',
    });
    expect(await m.resolve(url, 'main', { credentials: creds, refresh: true })).toMatchObject({
      sha,
    });
    expect(m.stats).toMatchObject({ clones: 1, fetches: 2 });
    // Nothing is pinned in the mirror: the trusted keys are the given ones, every time.
    const [mirror] = await readdir(join(dir, 'mirrors'));
    expect(await readdir(join(dir, 'mirrors', mirror ?? ''))).not.toContain('known_hosts');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(await readFile(join(await m.tree(url, sha), 'app/cm.yaml'), 'utf8')).toBe(
      'kind: ConfigMap\n',
    );
  });

  it('refuses an unknown host (no trust on first use), printing the fingerprint it offers', async () => {
    const { m, dir } = mirrors();
    const err = await m.resolve(url, 'main', { credentials: { sshPrivateKey: goodKey } }).then(
      () => undefined,
      (e: unknown) => e as SourceError,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect(err?.code).toBe('UnknownHostKey');
    expect(err?.message).toContain(
      `the server [127.0.0.1]:${sshd.port} offers ED25519 ${await fingerprint('host_ed25519.pub')}`,
    );
    expect(err?.hint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1`);
    expect(err?.hint).toContain('sluice-ssh-known-hosts');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    // Nor without any credentials at all.
    await expect(m.resolve(url)).rejects.toMatchObject({ code: 'UnknownHostKey' });
  });

  it('fails with AuthFailed on a key the server does not accept, or no key', async () => {
    const { m, dir } = mirrors();
    const sshKnownHosts = await hostLine('host_ed25519.pub');
    const err = await m
      .resolve(url, 'main', { credentials: { sshPrivateKey: wrongKey, sshKnownHosts } })
      .then(
        () => undefined,
        (e: unknown) => e as SourceError,
      );
    expect(err).toBeInstanceOf(SourceError);
    expect(err?.code).toBe('AuthFailed');
    expect(err?.message).toContain('Permission denied (publickey)');
    expect(err?.message).not.toContain('PRIVATE KEY');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    await expect(m.resolve(url, 'main', { credentials: { sshKnownHosts } })).rejects.toMatchObject({
      code: 'AuthFailed',
    });
  });

  it('refuses a server whose host key is not the trusted one, naming the key it offers', async () => {
    const wrong = { sshPrivateKey: goodKey, sshKnownHosts: await hostLine('host2_ed25519.pub') };
    const err = await mirrors()
      .m.resolve(url, 'main', { credentials: wrong })
      .then(
        () => undefined,
        (e: unknown) => e as SourceError,
      );
    expect(err?.code).toBe('HostKeyChanged');
    expect(err?.message).toContain('differs from the trusted one');
    expect(err?.message).toContain(await fingerprint('host_ed25519.pub'));
  });

  it('refuses a server whose host key changed between fetches', async () => {
    const { m } = mirrors();
    const creds = { sshPrivateKey: goodKey, sshKnownHosts: await hostLine('host_ed25519.pub') };
    await m.resolve(url, 'main', { credentials: creds });
    await sshd.stop();
    sshd = await startSshd({
      dir: root.path,
      port: sshd.port,
      hostKey: hostKey2,
      authorizedKey: `${(await readFile(join(root.path, 'client_good.pub'), 'utf8')).trim()}\n`,
    });
    const err = await m.resolve(url, 'main', { credentials: creds, refresh: true }).then(
      () => undefined,
      (e: unknown) => e as SourceError,
    );
    expect(err?.code).toBe('HostKeyChanged');
    expect(err?.message).toContain(await fingerprint('host2_ed25519.pub'));
  });
});
