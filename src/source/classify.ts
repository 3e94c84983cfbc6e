/**
 * Turning a failed `git clone`/`git fetch` into a SourceError a person can act on: git's stderr
 * is sorted into "cannot authenticate" and "cannot reach", and its last lines are quoted with
 * every credential removed.
 */
import type { ExecResult } from '../util/exec.ts';
import { SourceError } from './errors.ts';
import {
  KNOWN_HOSTS_CONFIGMAP,
  KNOWN_HOSTS_KEY,
  knownHostsName,
  scanHostKeys,
  type HostKeyFingerprint,
} from './hostkeys.ts';
import { parseRepoURL, redactText, type ParsedRepoURL } from './url.ts';

const AUTH_PATTERNS: readonly RegExp[] = [
  /authentication failed/i,
  /HTTP Basic: Access denied/i,
  /returned error: 40[13]\b/i,
  /could not read (Username|Password)/i,
  /terminal prompts disabled/i,
  /Permission denied \(/i,
  /Permission denied, please try again/i,
  /Too many authentication failures/i,
  /Load key .*: (invalid format|incorrect passphrase|error in libcrypto)/i,
  /invalid credentials|invalid username or password/i,
];

const HOST_KEY_CHANGED: readonly RegExp[] = [
  /REMOTE HOST IDENTIFICATION HAS CHANGED/i,
  /Host key for .* has changed/i,
];
const HOST_KEY_UNKNOWN: readonly RegExp[] = [
  /No \S+ host key is known for/i,
  /Host key verification failed/i,
];

/** What git's stderr says went wrong. */
export type StderrKind = 'AuthFailed' | 'HostKeyUnknown' | 'HostKeyChanged';

/** Classifies git's stderr; undefined when nothing is recognised. */
export function classifyStderr(stderr: string): StderrKind | undefined {
  if (HOST_KEY_CHANGED.some((p) => p.test(stderr))) return 'HostKeyChanged';
  if (HOST_KEY_UNKNOWN.some((p) => p.test(stderr))) return 'HostKeyUnknown';
  if (AUTH_PATTERNS.some((p) => p.test(stderr))) return 'AuthFailed';
  return undefined;
}

/** Replaces every secret (and URL credentials) in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = redactText(text);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

// Lines git prints after every ssh or local transport failure, which hide the one that matters.
const BOILERPLATE: readonly RegExp[] = [
  /^(fatal: )?Could not read from remote repository\.?$/i,
  /^Please make sure you have the correct access rights$/i,
  /^and the repository exists\.?$/i,
  /^Cloning into /i,
  /^warning: redirecting to /i,
];

/** git's last meaningful stderr lines, joined for a one-line message. */
export function gitSays(stderr: string, secrets: readonly string[], lines = 3): string {
  const all = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const kept = all.filter((l) => !BOILERPLATE.some((p) => p.test(l)));
  return scrub((kept.length > 0 ? kept : all).slice(-lines).join(' | '), secrets);
}

const UNREACHABLE_HINT =
  'check the repository URL, that the server is up and reachable from the controller (DNS, ' +
  'proxy, firewall, TLS certificates), and that the repository exists';

/**
 * The SourceError for a clone or fetch that failed: AuthFailed for refused credentials,
 * RepoUnreachable for everything else (connection, DNS, TLS, timeout, missing repository).
 */
export function fetchFailure(
  repoURL: string,
  result: ExecResult,
  auth: { secrets: readonly string[]; hasCredentials: boolean },
  timeoutMs: number,
  hostKeys?: { host: string; keys: HostKeyFingerprint[] },
): SourceError {
  const said = gitSays(result.stderr, auth.secrets);
  const quote = said === '' ? '' : `: git said: ${said}`;
  if (result.timedOut) {
    return new SourceError(
      'RepoUnreachable',
      `repo ${repoURL}: fetch timed out after ${Math.round(timeoutMs / 1000)}s${quote}`,
      { repoURL, hint: UNREACHABLE_HINT },
    );
  }
  const kind = classifyStderr(result.stderr);
  if (kind === 'HostKeyUnknown' || kind === 'HostKeyChanged') {
    return hostKeyFailure(repoURL, kind, quote, hostKeys);
  }
  if (kind === 'AuthFailed') {
    const why = auth.hasCredentials
      ? 'the server refused the credentials'
      : 'the server requires credentials and none were given';
    return new SourceError('AuthFailed', `repo ${repoURL}: authentication failed: ${why}${quote}`, {
      repoURL,
      hint: 'check the credentials in the repository Secret (user name and password or token, or an unencrypted ssh private key authorised on the server) and that they grant read access',
    });
  }
  return new SourceError('RepoUnreachable', `repo ${repoURL}: cannot fetch${quote}`, {
    repoURL,
    hint: UNREACHABLE_HINT,
  });
}

/** The host's key fingerprints, for an error a person can check against the server's. */
function describeKeys(hostKeys: { host: string; keys: HostKeyFingerprint[] } | undefined): string {
  if (!hostKeys) return '';
  if (hostKeys.keys.length === 0)
    return `; its host keys could not be read (ssh-keyscan ${hostKeys.host} found none)`;
  const list = hostKeys.keys.map((k) => `${k.type} ${k.fingerprint}`).join(', ');
  return `; the server ${hostKeys.host} offers ${list}`;
}

function hostKeyFailure(
  repoURL: string,
  kind: 'HostKeyUnknown' | 'HostKeyChanged',
  quote: string,
  hostKeys: { host: string; keys: HostKeyFingerprint[] } | undefined,
): SourceError {
  const where = `the ConfigMap ${KNOWN_HOSTS_CONFIGMAP} (key ${KNOWN_HOSTS_KEY}) in the controller's namespace, or the repository Secret's known_hosts`;
  const scan = hostKeys ? `ssh-keyscan ${scanArgs(hostKeys.host)}` : 'ssh-keyscan <host>';
  if (kind === 'HostKeyChanged') {
    return new SourceError(
      'HostKeyChanged',
      `repo ${repoURL}: the ssh host key differs from the trusted one${describeKeys(hostKeys)}${quote}`,
      {
        repoURL,
        hint: `if the server's key changed on purpose (check the fingerprint with its administrator), replace its line in ${where} with the output of \`${scan}\``,
      },
    );
  }
  return new SourceError(
    'UnknownHostKey',
    `repo ${repoURL}: the ssh host key is not known (no trust on first use)${describeKeys(hostKeys)}${quote}`,
    {
      repoURL,
      hint: `check the fingerprint with the server's administrator, then add the host's line (\`${scan}\`) to ${where}`,
    },
  );
}

/** `-p 2222 127.0.0.1` for `[127.0.0.1]:2222`. */
function scanArgs(host: string): string {
  const m = /^\[(.*)\]:(\d+)$/.exec(host);
  return m ? `-p ${m[2] ?? ''} ${m[1] ?? ''}` : host;
}

/**
 * fetchFailure, and for an ssh host key that is unknown or changed, the fingerprints the server
 * offers now (read with ssh-keyscan from the same host and port).
 */
export async function fetchFailureWithHostKeys(
  repoURL: string,
  repo: ParsedRepoURL | undefined,
  result: ExecResult,
  auth: { secrets: readonly string[]; hasCredentials: boolean },
  timeoutMs: number,
): Promise<SourceError> {
  const kind = result.timedOut ? undefined : classifyStderr(result.stderr);
  if (kind !== 'HostKeyUnknown' && kind !== 'HostKeyChanged')
    return fetchFailure(repoURL, result, auth, timeoutMs);
  let parsed = repo;
  try {
    parsed ??= parseRepoURL(repoURL);
  } catch {
    return fetchFailure(repoURL, result, auth, timeoutMs);
  }
  const { keys } = await scanHostKeys(parsed);
  return fetchFailure(repoURL, result, auth, timeoutMs, { host: knownHostsName(parsed), keys });
}
