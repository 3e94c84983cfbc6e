import { readFile, readdir, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareAuth, shellQuote, sshCommand } from './credentials.ts';
import { gitEnv } from './git.ts';
import { tempDir } from './testing/fixtures.ts';
import { parseRepoURL } from './url.ts';

let tmp: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('creds');
});
afterAll(() => tmp.remove());

const paths = (): { tmpDir: string } => ({ tmpDir: tmp.path });

describe('prepareAuth', () => {
  it('sends http basic credentials as a header, through config, never in the URL', async () => {
    const a = await prepareAuth(
      parseRepoURL('https://h/x'),
      { username: 'bob', password: 'pw1' },
      paths(),
    );
    const basic = Buffer.from('bob:pw1').toString('base64');
    expect(a.config).toEqual([['http.extraHeader', `Authorization: Basic ${basic}`]]);
    expect(a.secrets).toEqual(expect.arrayContaining(['pw1', basic]));
    expect(a.hasCredentials).toBe(true);
    const env = gitEnv('/home/sluice', a.config, a.env);
    expect(env.GIT_CONFIG_COUNT).toBe(String(Number(env.GIT_CONFIG_COUNT)));
    const values = Object.entries(env).filter(([k]) => k.startsWith('GIT_CONFIG_VALUE_'));
    expect(values.map(([, v]) => v)).toContain(`Authorization: Basic ${basic}`);
  });

  it('prefers a bearer token; uses URL credentials; defaults the user to git', async () => {
    const bearer = await prepareAuth(
      parseRepoURL('https://u:p@h/x'),
      { bearerToken: 'tok' },
      paths(),
    );
    expect(bearer.config).toEqual([['http.extraHeader', 'Authorization: Bearer tok']]);
    const inURL = await prepareAuth(parseRepoURL('https://u:p@h/x'), undefined, paths());
    expect(inURL.config[0]?.[1]).toBe(
      `Authorization: Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    const tokenOnly = await prepareAuth(parseRepoURL('https://h/x'), { password: 't' }, paths());
    expect(tokenOnly.config[0]?.[1]).toBe(
      `Authorization: Basic ${Buffer.from('git:t').toString('base64')}`,
    );
    const insecure = await prepareAuth(
      parseRepoURL('https://h/x'),
      { insecureSkipTLSVerify: true },
      paths(),
    );
    expect(insecure.config).toEqual([['http.sslVerify', 'false']]);
    expect(insecure.hasCredentials).toBe(false);
  });

  it('writes an ssh key to a private 0600 file and removes it on cleanup', async () => {
    const a = await prepareAuth(parseRepoURL('git@h:x'), { sshPrivateKey: 'KEY\r\nDATA' }, paths());
    const cmd = a.env.GIT_SSH_COMMAND ?? '';
    const keyFile = /-i '([^']+)'/.exec(cmd)?.[1] ?? '';
    expect(await readFile(keyFile, 'utf8')).toBe('KEY\nDATA\n');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(cmd).not.toContain('KEY');
    expect(cmd).toContain('-o BatchMode=yes');
    // No known_hosts given: no host is trusted (never trust on first use).
    expect(cmd).toContain('-o StrictHostKeyChecking=yes');
    expect(cmd).toContain(`-o UserKnownHostsFile='/dev/null'`);
    await a.cleanup();
    expect(await readdir(tmp.path)).toEqual([]);
  });

  it('trusts only the given host keys when known_hosts comes with the credentials', async () => {
    const hosts = 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIexample';
    const a = await prepareAuth(
      parseRepoURL('git@git.example.com:x'),
      { sshKnownHosts: hosts },
      paths(),
    );
    const cmd = a.env.GIT_SSH_COMMAND ?? '';
    expect(cmd).toContain('-o StrictHostKeyChecking=yes');
    const file = /UserKnownHostsFile='([^']+)'/.exec(cmd)?.[1] ?? '';
    expect(await readFile(file, 'utf8')).toBe(`${hosts}\n`);
    await a.cleanup();
    expect(await readdir(tmp.path)).toEqual([]);
  });

  it('quotes paths for the shell git runs the ssh command with', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(sshCommand(undefined, '/k')).not.toContain(' -i ');
    expect(sshCommand(undefined, '/k')).not.toContain('accept-new');
  });

  it('without a key or host keys, still trusts no host', async () => {
    const a = await prepareAuth(parseRepoURL('ssh://git@h/x'), undefined, paths());
    expect(a.env.GIT_SSH_COMMAND).toContain('-o StrictHostKeyChecking=yes');
    expect(a.env.GIT_SSH_COMMAND).toContain(`-o UserKnownHostsFile='/dev/null'`);
  });
});

describe('gitEnv', () => {
  it('seals git off from the user, the system and inherited GIT_* variables', () => {
    process.env.GIT_DIR = '/elsewhere';
    process.env.SSH_AUTH_SOCK = '/tmp/agent';
    try {
      const env = gitEnv('/var/lib/sluice/home');
      expect(env).toMatchObject({
        HOME: '/var/lib/sluice/home',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: '',
        LC_ALL: 'C',
      });
      expect(env.GIT_DIR).toBeUndefined();
      expect(env.SSH_AUTH_SOCK).toBeUndefined();
    } finally {
      delete process.env.GIT_DIR;
      delete process.env.SSH_AUTH_SOCK;
    }
  });
});
