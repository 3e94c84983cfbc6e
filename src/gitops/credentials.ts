/**
 * Repository credentials, from Secrets labelled `sluice.dev/secret-type: repository` (Argo CD's
 * repository Secrets, with Sluice's label) in the controller's namespace:
 *
 * ```yaml
 * metadata: { labels: { sluice.dev/secret-type: repository } }
 * stringData: { url: https://git.example.com/org, username: bot, password: <token> }   # or bearerToken, sshPrivateKey
 * ```
 * A Secret's `url` applies to every repository under it; the longest match wins.
 */
import type { KubeObject } from '../kube/types.ts';
import { normalizeRepoURL, type RepoCredentials } from '../source/index.ts';

export const REPO_SECRET_LABEL = 'sluice.dev/secret-type';
export const REPO_SECRET_SELECTOR = `${REPO_SECRET_LABEL}=repository`;

function field(secret: KubeObject, key: string): string | undefined {
  const string = (secret['stringData'] as Record<string, string> | undefined)?.[key];
  if (string !== undefined) return string;
  const b64 = (secret['data'] as Record<string, string> | undefined)?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

/** What one repository Secret holds. */
function secretCredentials(s: KubeObject): RepoCredentials {
  const creds: RepoCredentials = {};
  const set = (k: keyof RepoCredentials, ...keys: string[]): void => {
    for (const key of keys) {
      const v = field(s, key);
      if (v !== undefined) {
        (creds as Record<string, string>)[k] = v;
        return;
      }
    }
  };
  set('username', 'username');
  set('password', 'password');
  set('bearerToken', 'bearerToken', 'token');
  set('sshPrivateKey', 'sshPrivateKey');
  // Flux's key name, and ours: the host keys to trust (else trusted on first use).
  set('sshKnownHosts', 'sshKnownHosts', 'known_hosts');
  if (field(s, 'insecure') === 'true') creds.insecureSkipTLSVerify = true;
  return creds;
}

/** The credentials of the best-matching Secret, or undefined. */
export function credentialsFor(
  repoURL: string,
  secrets: readonly KubeObject[],
): RepoCredentials | undefined {
  const target = normalizeRepoURL(repoURL);
  let best: { len: number; creds: RepoCredentials } | undefined;
  for (const s of secrets) {
    const url = field(s, 'url');
    if (!url) continue;
    let prefix: string;
    try {
      prefix = normalizeRepoURL(url);
    } catch {
      continue; // a Secret with a malformed url matches nothing
    }
    if (target !== prefix && !target.startsWith(`${prefix}/`)) continue;
    if (best && best.len >= prefix.length) continue;
    const creds = secretCredentials(s);
    best = { len: prefix.length, creds };
  }
  return best?.creds;
}
