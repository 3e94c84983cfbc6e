import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../errors.ts';
import { credentialsFor } from '../../gitops/credentials.ts';
import {
  checkRepoInput,
  describeRepoSecret,
  repoSecret,
  repoSecretName,
  sameRepo,
  type RepoCredentialsInput,
} from './secret.ts';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError && err.exitCode === 2) return err.message;
    throw err;
  }
  throw new Error('expected a usage error');
}

const add = (url: string, credentials: RepoCredentialsInput, name?: string) =>
  repoSecret({ namespace: 'sluice-system', url, credentials, ...(name ? { name } : {}) });

describe('repoSecret', () => {
  it.each<[string, string, RepoCredentialsInput]>([
    ['https with a password', 'https://git.example.com/org', { username: 'bot', password: 'pw' }],
    ['https with a token', 'https://git.example.com/org/app.git', { bearerToken: 'tok' }],
    ['ssh with a key', 'git@git.example.com:org/app.git', { sshPrivateKey: 'KEY' }],
    [
      'ssh with a key and host keys',
      'ssh://git@git.example.com/org/app.git',
      { sshPrivateKey: 'KEY', sshKnownHosts: 'git.example.com ssh-ed25519 AAAA\n' },
    ],
    ['insecure https', 'https://git.example.com/org', { insecure: true }],
  ])('%s: what the controller reads back is what was given', (_case, url, creds) => {
    const secret = add(url, creds);
    expect(secret.metadata.labels).toEqual({ 'sluice.dev/secret-type': 'repository' });
    const read = credentialsFor(url, [secret]);
    const { insecure, ...rest } = creds;
    expect(read).toEqual({ ...rest, ...(insecure ? { insecureSkipTLSVerify: true } : {}) });
  });

  it.each<[string, string, RepoCredentialsInput, string]>([
    ['two ways', 'https://h/o', { bearerToken: 't', username: 'u', password: 'p' }, 'one way'],
    ['password alone', 'https://h/o', { password: 'p' }, '--password needs --username'],
    ['key on https', 'https://h/o', { sshPrivateKey: 'K' }, 'is for ssh URLs'],
    ['token on ssh', 'ssh://git@h/o', { bearerToken: 't' }, 'are for http(s) URLs'],
    ['host keys on https', 'https://h/o', { sshKnownHosts: 'h ssh-ed25519 A' }, 'is for ssh URLs'],
    ['password in the URL', 'https://u:secret@h/o', {}, 'carries a password'],
    ['not a URL', 'just words', {}, ''],
  ])('refuses %s', (_case, url, creds, message) => {
    const text = usage(() => checkRepoInput(url, creds));
    expect(text).toContain(message);
    expect(text).not.toContain('secret@');
  });

  it('names the Secret after --name, or after the URL', () => {
    expect(repoSecretName('https://h/o', 'org')).toBe('repo-org');
    expect(repoSecretName('https://H/o.git')).toBe(repoSecretName('https://h/o'));
    expect(repoSecretName('https://h/o')).toMatch(/^repo-[0-9a-f]{10}$/);
    expect(usage(() => repoSecretName('https://h/o', 'Bad_Name'))).toContain('--name Bad_Name');
  });
});

describe('describeRepoSecret', () => {
  it.each<[string, string, RepoCredentialsInput, string, string]>([
    ['password', 'https://h/o', { username: 'bot', password: 'pw' }, 'https', 'password'],
    ['token', 'http://h/o', { bearerToken: 'tok' }, 'http', 'bearer-token'],
    ['ssh key', 'git@h:o/a.git', { sshPrivateKey: 'KEY' }, 'ssh', 'ssh-key'],
    ['file', 'file:///srv/git/a', {}, 'file', 'none'],
  ])('%s: type and auth kind, never the credential', (_case, url, creds, type, auth) => {
    const row = describeRepoSecret(add(url, creds, 'x'));
    expect(row).toMatchObject({ url, type, auth, name: 'x', secret: 'repo-x' });
    for (const v of ['pw', 'tok', 'KEY']) expect(JSON.stringify(row)).not.toContain(`"${v}"`);
  });

  it('reads base64 data written by others, and hides a password left in a URL', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const row = describeRepoSecret({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'legacy' },
      data: { url: b64('https://bot:hunter2@h/o'), token: b64('t') },
    });
    expect(row?.auth).toBe('bearer-token');
    expect(JSON.stringify(row)).not.toContain('hunter2');
  });

  it('skips a Secret without a url', () => {
    expect(describeRepoSecret({ apiVersion: 'v1', kind: 'Secret', metadata: {} })).toBeUndefined();
  });
});

describe('sameRepo', () => {
  it('compares URLs in canonical form', () => {
    const s = add('https://git.example.com/Org/App.git', {});
    expect(sameRepo(s, 'https://git.example.com/org/app')).toBe(true);
    expect(sameRepo(s, 'https://git.example.com/org/other')).toBe(false);
  });
});
