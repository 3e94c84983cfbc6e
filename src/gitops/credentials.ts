/**
 * Repository credentials, from Secrets labelled `sluice.dev/secret-type: repository` (Argo CD's
 * repository Secrets, with Sluice's label) in the controller's namespace:
 *
 * ```yaml
 * metadata: { labels: { sluice.dev/secret-type: repository } }
 * stringData: { url: https://git.example.com/org, username: bot, password: <token> }   # or bearerToken, sshPrivateKey
 * ```
 * A Secret's `url` applies to every repository under it; the longest match wins.
 *
 * ssh host keys: a Secret's `known_hosts` (or `sshKnownHosts`), else the `ssh_known_hosts` of
 * the ConfigMap `sluice-ssh-known-hosts` in the controller's namespace (Argo CD keeps them the
 * same way in `argocd-ssh-known-hosts-cm`). No host is ever trusted on first use.
 */
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import { KNOWN_HOSTS_CONFIGMAP, KNOWN_HOSTS_KEY } from '../source/hostkeys.ts';
import { normalizeRepoURL, type RepoCredentials } from '../source/index.ts';

export { KNOWN_HOSTS_CONFIGMAP, KNOWN_HOSTS_KEY };

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
  // Flux's key name, and ours: the host keys to trust (else the ConfigMap's; never on first use).
  set('sshKnownHosts', 'sshKnownHosts', 'known_hosts');
  if (field(s, 'insecure') === 'true') creds.insecureSkipTLSVerify = true;
  return creds;
}

/** The known_hosts text of the ConfigMap `sluice-ssh-known-hosts` (undefined without one). */
export function knownHostsOf(configMaps: readonly KubeObject[]): string | undefined {
  const cm = configMaps.find((c) => c.metadata.name === KNOWN_HOSTS_CONFIGMAP);
  const text = (cm?.['data'] as Record<string, string> | undefined)?.[KNOWN_HOSTS_KEY];
  return text?.trim() ? text : undefined;
}

/** Reads the ConfigMap `sluice-ssh-known-hosts` of `namespace` (for one-shot commands). */
export async function readKnownHosts(kube: Kube, namespace: string): Promise<string | undefined> {
  const cm = await kube.get('v1', 'ConfigMap', namespace, KNOWN_HOSTS_CONFIGMAP);
  return cm ? knownHostsOf([cm]) : undefined;
}

/**
 * The credentials of the best-matching Secret, or undefined; `knownHosts` (the ConfigMap's) are
 * the trusted ssh host keys when the Secret gives none, or when no Secret matches.
 */
export function credentialsFor(
  repoURL: string,
  secrets: readonly KubeObject[],
  knownHosts?: string,
): RepoCredentials | undefined {
  const found = secretFor(repoURL, secrets);
  if (knownHosts === undefined || found?.sshKnownHosts?.trim()) return found;
  return { ...found, sshKnownHosts: knownHosts };
}

function secretFor(repoURL: string, secrets: readonly KubeObject[]): RepoCredentials | undefined {
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
