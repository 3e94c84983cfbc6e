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
    const creds: RepoCredentials = {};
    const username = field(s, 'username');
    const password = field(s, 'password');
    const bearerToken = field(s, 'bearerToken') ?? field(s, 'token');
    const sshPrivateKey = field(s, 'sshPrivateKey');
    if (username !== undefined) creds.username = username;
    if (password !== undefined) creds.password = password;
    if (bearerToken !== undefined) creds.bearerToken = bearerToken;
    if (sshPrivateKey !== undefined) creds.sshPrivateKey = sshPrivateKey;
    // Flux's key name, and ours: the host keys to trust (else trusted on first use).
    const knownHosts = field(s, 'sshKnownHosts') ?? field(s, 'known_hosts');
    if (knownHosts !== undefined) creds.sshKnownHosts = knownHosts;
    if (field(s, 'insecure') === 'true') creds.insecureSkipTLSVerify = true;
    best = { len: prefix.length, creds };
  }
  return best?.creds;
}
