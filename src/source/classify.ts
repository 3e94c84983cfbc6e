/**
 * Turning a failed `git clone`/`git fetch` into a SourceError a person can act on: git's stderr
 * is sorted into "cannot authenticate" and "cannot reach", and its last lines are quoted with
 * every credential removed.
 */
import type { ExecResult } from '../util/exec.ts';
import { SourceError } from './errors.ts';
import { redactText } from './url.ts';

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

const HOST_KEY_PATTERNS: readonly RegExp[] = [
  /Host key verification failed/i,
  /REMOTE HOST IDENTIFICATION HAS CHANGED/i,
];

/** Classifies git's stderr; undefined when nothing is recognised. */
export function classifyStderr(stderr: string): 'AuthFailed' | 'HostKey' | undefined {
  if (HOST_KEY_PATTERNS.some((p) => p.test(stderr))) return 'HostKey';
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
  if (kind === 'HostKey') {
    return new SourceError(
      'AuthFailed',
      `repo ${repoURL}: ssh host key verification failed${quote}`,
      {
        repoURL,
        hint: "the server's host key differs from the one recorded on first contact; if the change is expected, delete the mirror's known_hosts file",
      },
    );
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
