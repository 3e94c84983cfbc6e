import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../util/exec.ts';
import { classifyStderr, fetchFailure, gitSays } from './classify.ts';
import { parseFingerprints } from './hostkeys.ts';

function failed(stderr: string, timedOut = false): ExecResult {
  return { code: 128, signal: null, stdout: '', stderr, timedOut };
}

const noAuth = { secrets: [], hasCredentials: false };

describe('classifyStderr', () => {
  it.each([
    ["fatal: Authentication failed for 'https://host/x.git/'", 'AuthFailed'],
    ['remote: HTTP Basic: Access denied', 'AuthFailed'],
    [
      "fatal: unable to access 'https://host/x/': The requested URL returned error: 403",
      'AuthFailed',
    ],
    ["fatal: could not read Username for 'https://host': terminal prompts disabled", 'AuthFailed'],
    ['git@host: Permission denied (publickey).', 'AuthFailed'],
    ['Load key "/tmp/k": invalid format', 'AuthFailed'],
    ['Host key verification failed.', 'HostKeyUnknown'],
    [
      'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.',
      'HostKeyUnknown',
    ],
    [
      '@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.',
      'HostKeyChanged',
    ],
    ["fatal: unable to access 'https://h/x/': Could not resolve host: h", undefined],
    ['ssh: connect to host h port 22: Connection refused', undefined],
    ["fatal: '/x' does not appear to be a git repository", undefined],
  ])('%s -> %s', (stderr, want) => {
    expect(classifyStderr(stderr)).toBe(want);
  });
});

describe('fetchFailure', () => {
  it('quotes the meaningful lines of git, not its boilerplate', () => {
    const err = fetchFailure(
      'ssh://git@h/x',
      failed(
        'ssh: connect to host h port 22: Connection refused\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n',
      ),
      noAuth,
      60_000,
    );
    expect(err.code).toBe('RepoUnreachable');
    expect(err.message).toBe(
      'repo ssh://git@h/x: cannot fetch: git said: ssh: connect to host h port 22: Connection refused',
    );
    expect(err.repoURL).toBe('ssh://git@h/x');
  });

  it('reports a timeout as unreachable', () => {
    const err = fetchFailure('https://h/x', failed('', true), noAuth, 60_000);
    expect(err.code).toBe('RepoUnreachable');
    expect(err.message).toBe('repo https://h/x: fetch timed out after 60s');
  });

  it('removes secrets and URL credentials from what git said', () => {
    const secret = 's3cr3t-token';
    const err = fetchFailure(
      'https://h/x',
      failed(
        `remote: invalid token ${secret}\nfatal: Authentication failed for 'https://u:${secret}@h/x/'`,
      ),
      { secrets: [secret], hasCredentials: true },
      60_000,
    );
    expect(err.code).toBe('AuthFailed');
    expect(err.message).toContain('the server refused the credentials');
    expect(err.describe()).not.toContain(secret);
    expect(gitSays(`a\nb ${secret}\nc\nd`, [secret], 2)).toBe('c | d');
  });
});

describe('an unknown or changed ssh host key', () => {
  const stderr =
    'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n';
  it('prints the fingerprints the server offers and where to trust them', () => {
    const keys = parseFingerprints(
      '256 SHA256:abcDEF [127.0.0.1]:2222 (ED25519)\n3072 SHA256:xyz [127.0.0.1]:2222 (RSA)\n',
    );
    expect(keys).toEqual([
      { type: 'ED25519', fingerprint: 'SHA256:abcDEF' },
      { type: 'RSA', fingerprint: 'SHA256:xyz' },
    ]);
    const err = fetchFailure('ssh://git@127.0.0.1:2222/x', failed(stderr), noAuth, 60_000, {
      host: '[127.0.0.1]:2222',
      keys,
    });
    expect(err.code).toBe('UnknownHostKey');
    expect(err.message).toContain(
      'the ssh host key is not known (no trust on first use); the server [127.0.0.1]:2222 offers ED25519 SHA256:abcDEF, RSA SHA256:xyz',
    );
    expect(err.hint).toContain('ssh-keyscan -p 2222 127.0.0.1');
    expect(err.hint).toContain('sluice-ssh-known-hosts');
  });

  it('says when a changed key differs from the trusted one', () => {
    const err = fetchFailure(
      'ssh://git@h/x',
      failed('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\nHost key verification failed.'),
      noAuth,
      60_000,
      { host: 'h', keys: [] },
    );
    expect(err.code).toBe('HostKeyChanged');
    expect(err.message).toContain('differs from the trusted one');
    expect(err.message).toContain('could not be read');
  });
});
