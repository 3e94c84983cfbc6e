/**
 * Handing credentials to git without exposing them: never in the URL, never in process
 * arguments (readable in /proc by anyone on the host), never in logs. http(s) credentials travel
 * as an `http.extraHeader` set through `GIT_CONFIG_*` environment variables; an ssh key is
 * written to a 0600 file in a private temp directory that is removed when the command ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParsedRepoURL } from './url.ts';

/** Credentials for one repository (usually read from a repository Secret). */
export interface RepoCredentials {
  /** http(s) user name; defaults to `git` when only a password is given. */
  username?: string;
  /** http(s) password or access token. */
  password?: string;
  /** http(s) bearer token, sent as `Authorization: Bearer <token>`; wins over username/password. */
  bearerToken?: string;
  /** ssh private key (OpenSSH or PEM, unencrypted). */
  sshPrivateKey?: string;
  /**
   * ssh: the server's host keys (`known_hosts` lines); only these are trusted
   * (StrictHostKeyChecking=yes). Absent, no host is trusted: never trust on first use.
   */
  sshKnownHosts?: string;
  /** http(s): do not verify the server's TLS certificate. */
  insecureSkipTLSVerify?: boolean;
}

/** What one git invocation needs for authentication; call `cleanup()` when it has ended. */
export interface GitAuth {
  /** Extra `git config` entries, passed through `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`. */
  config: Array<[string, string]>;
  /** Extra environment variables (GIT_SSH_COMMAND). */
  env: Record<string, string>;
  /** Values that must never appear in output: scrubbed from every message. */
  secrets: string[];
  /** Whether any credential is being presented (for messages). */
  hasCredentials: boolean;
  cleanup(): Promise<void>;
}

/** Quotes a word for the POSIX shell git runs GIT_SSH_COMMAND with. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function httpAuth(
  repo: ParsedRepoURL,
  creds: RepoCredentials,
): Pick<GitAuth, 'config' | 'secrets'> {
  const config: Array<[string, string]> = [];
  const secrets: string[] = [];
  // Credentials written in the URL itself (https://user:token@host/...) are used, never passed on.
  const username = creds.username ?? repo.user;
  const password = creds.password ?? repo.password;
  if (creds.bearerToken !== undefined && creds.bearerToken !== '') {
    config.push(['http.extraHeader', `Authorization: Bearer ${creds.bearerToken}`]);
    secrets.push(creds.bearerToken);
  } else if (password !== undefined && password !== '') {
    const basic = Buffer.from(`${username ?? 'git'}:${password}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
    secrets.push(password, basic);
  } else if (repo.user !== undefined && repo.user !== '') {
    // A lone user name in an https URL is usually a token (https://<token>@github.com/...).
    secrets.push(repo.user);
    const basic = Buffer.from(`${repo.user}:`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  if (creds.insecureSkipTLSVerify === true) config.push(['http.sslVerify', 'false']);
  return { config, secrets };
}

/**
 * The ssh command git runs: only the given key (or none), no agent, no user or system ssh
 * config, no prompts, and only the host keys in `knownHostsFile` trusted (StrictHostKeyChecking
 * =yes: an unknown host is refused, never trusted on first use).
 */
export function sshCommand(keyFile: string | undefined, knownHostsFile: string): string {
  const parts = ['ssh', '-F', '/dev/null'];
  if (keyFile !== undefined) parts.push('-i', shellQuote(keyFile));
  parts.push(
    '-o IdentitiesOnly=yes',
    '-o IdentityAgent=none',
    '-o BatchMode=yes',
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o ConnectTimeout=30',
  );
  return parts.join(' ');
}

/**
 * Prepares authentication for one git command against `repo`. `tmpDir` must be private to
 * Sluice (an ssh key and the trusted host keys are written there, removed by cleanup()).
 */
export async function prepareAuth(
  repo: ParsedRepoURL,
  creds: RepoCredentials | undefined,
  paths: { tmpDir: string },
): Promise<GitAuth> {
  const c = creds ?? {};
  const none = (): Promise<void> => Promise.resolve();
  if (repo.scheme === 'http' || repo.scheme === 'https') {
    const { config, secrets } = httpAuth(repo, c);
    const hasCredentials = config.some(([k]) => k === 'http.extraHeader');
    return { config, env: {}, secrets, hasCredentials, cleanup: none };
  }
  if (repo.scheme !== 'ssh') {
    return { config: [], env: {}, secrets: [], hasCredentials: false, cleanup: none };
  }
  return sshAuth(repo, c, paths);
}

/** ssh: the key and the trusted host keys in a private directory, removed by cleanup(). */
async function sshAuth(
  repo: ParsedRepoURL,
  c: RepoCredentials,
  paths: { tmpDir: string },
): Promise<GitAuth> {
  const secrets = repo.password !== undefined ? [repo.password] : [];
  const key = c.sshPrivateKey?.trim() ? c.sshPrivateKey : undefined;
  const hosts = c.sshKnownHosts?.trim() ? c.sshKnownHosts : undefined;
  if (!key && !hosts) {
    // No host key is trusted: ssh refuses the server, and the caller prints its fingerprints.
    const env = { GIT_SSH_COMMAND: sshCommand(undefined, '/dev/null'), GIT_SSH_VARIANT: 'ssh' };
    return { config: [], env, secrets, hasCredentials: false, cleanup: () => Promise.resolve() };
  }
  const dir = await mkdtemp(join(paths.tmpDir, 'ssh-'));
  const keyFile = key ? join(dir, 'key') : undefined;
  const knownHosts = hosts ? join(dir, 'known_hosts') : '/dev/null';
  try {
    // ssh refuses a key without its final newline ("invalid format").
    if (key && keyFile)
      await writeFile(keyFile, key.replace(/\r\n/g, '\n').trimEnd() + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
    if (hosts)
      await writeFile(knownHosts, `${hosts.replace(/\r\n/g, '\n').trimEnd()}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    config: [],
    env: { GIT_SSH_COMMAND: sshCommand(keyFile, knownHosts), GIT_SSH_VARIANT: 'ssh' },
    secrets,
    hasCredentials: key !== undefined,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
