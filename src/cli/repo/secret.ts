/**
 * Repository Secrets as `sluice repo add|list` write and show them: the format
 * src/gitops/credentials.ts reads (label `sluice.dev/secret-type: repository`; `url` and
 * `username`/`password`, `bearerToken` or `sshPrivateKey`; `insecure: "true"`). Pure: what is
 * shown never contains a credential.
 */
import { createHash } from 'node:crypto';
import { secretField } from '../../api/cluster.ts';
import { SluiceError } from '../../errors.ts';
import { REPO_SECRET_LABEL } from '../../gitops/credentials.ts';
import type { KubeObject } from '../../kube/types.ts';
import { normalizeRepoURL, parseRepoURL, redactRepoURL } from '../../source/url.ts';

export type RepoType = 'https' | 'http' | 'ssh' | 'git' | 'file';
export type RepoAuth = 'password' | 'bearer-token' | 'ssh-key' | 'none';

export interface RepoCredentialsInput {
  username?: string;
  password?: string;
  bearerToken?: string;
  sshPrivateKey?: string;
  /** ssh: the server's host keys (known_hosts lines), stored as the Secret's `known_hosts`. */
  sshKnownHosts?: string;
  insecure?: boolean;
}

/** One line of `sluice repo list`. */
export interface RepoRow {
  url: string;
  type: RepoType;
  auth: RepoAuth;
  insecure: boolean;
  name?: string;
  secret: string;
}

const usage = (message: string, hint?: string): SluiceError =>
  new SluiceError('BadFlag', message, { exitCode: 2, ...(hint ? { hint } : {}) });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function repoType(url: string): RepoType {
  const p = parseRepoURL(url);
  return p.scpLike ? 'ssh' : p.scheme;
}

/** The URL's type; an unparsable URL or one carrying a password is a usage error. */
function typeOf(url: string): RepoType {
  try {
    const p = parseRepoURL(url);
    if (p.password === undefined) return repoType(url);
  } catch (err) {
    throw usage(err instanceof Error ? err.message : String(err));
  }
  throw usage(
    `the URL ${redactRepoURL(url)} carries a password`,
    'give it with --password (or --password-stdin), not in the URL',
  );
}

/** Checks the URL and that the credentials fit it; problems are usage errors (exit 2). */
export function checkRepoInput(url: string, c: RepoCredentialsInput): RepoType {
  const type = typeOf(url);
  const basic = c.username !== undefined || c.password !== undefined;
  const kinds = [
    basic ? '--username/--password' : '',
    c.bearerToken !== undefined ? '--bearer-token' : '',
    c.sshPrivateKey !== undefined ? '--ssh-private-key-path' : '',
  ].filter(Boolean);
  if (kinds.length > 1) throw usage(`give one way to authenticate, not ${kinds.join(' and ')}`);
  if (c.password !== undefined && c.username === undefined)
    throw usage('--password needs --username', 'for a token as password, any user name works');
  if (c.sshPrivateKey !== undefined && type !== 'ssh')
    throw usage(`--ssh-private-key-path is for ssh URLs; ${url} is ${type}`);
  if (c.sshKnownHosts !== undefined && type !== 'ssh')
    throw usage(`--ssh-known-hosts-file is for ssh URLs; ${url} is ${type}`);
  if ((basic || c.bearerToken !== undefined) && !type.startsWith('http'))
    throw usage(`user names, passwords and tokens are for http(s) URLs; ${url} is ${type}`);
  return type;
}

/** The Secret's name: `repo-<name>`, or `repo-` and a hash of the URL. */
export function repoSecretName(url: string, name?: string): string {
  if (name !== undefined) {
    const secret = `repo-${name}`;
    if (!DNS_LABEL.test(secret) || secret.length > 63)
      throw usage(`--name ${name}: use lowercase letters, digits and "-" (up to 58 characters)`);
    return secret;
  }
  return `repo-${createHash('sha256').update(normalizeRepoURL(url)).digest('hex').slice(0, 10)}`;
}

/** The Secret `sluice repo add` writes. */
export function repoSecret(o: {
  namespace: string;
  url: string;
  name?: string;
  credentials: RepoCredentialsInput;
}): KubeObject {
  checkRepoInput(o.url, o.credentials);
  const { username, password, bearerToken, sshPrivateKey, sshKnownHosts, insecure } = o.credentials;
  const stringData: Record<string, string> = { type: 'git', url: o.url };
  if (o.name !== undefined) stringData['name'] = o.name;
  if (username !== undefined) stringData['username'] = username;
  if (password !== undefined) stringData['password'] = password;
  if (bearerToken !== undefined) stringData['bearerToken'] = bearerToken;
  if (sshPrivateKey !== undefined) stringData['sshPrivateKey'] = sshPrivateKey;
  if (sshKnownHosts !== undefined) stringData['known_hosts'] = sshKnownHosts;
  if (insecure) stringData['insecure'] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: repoSecretName(o.url, o.name),
      namespace: o.namespace,
      labels: { [REPO_SECRET_LABEL]: 'repository' },
    },
    type: 'Opaque',
    stringData,
  };
}

function authOf(secret: KubeObject): RepoAuth {
  if (secretField(secret, 'sshPrivateKey') !== undefined) return 'ssh-key';
  const token = secretField(secret, 'bearerToken') ?? secretField(secret, 'token');
  if (token !== undefined) return 'bearer-token';
  if (secretField(secret, 'password') !== undefined) return 'password';
  return 'none';
}

/** What `repo list` shows of a Secret (never a credential); undefined without a url. */
export function describeRepoSecret(secret: KubeObject): RepoRow | undefined {
  const url = secretField(secret, 'url');
  if (!url) return undefined;
  let type: RepoType;
  try {
    type = repoType(url);
  } catch {
    return undefined;
  }
  const name = secretField(secret, 'name');
  return {
    url: redactRepoURL(url),
    type,
    auth: authOf(secret),
    insecure: secretField(secret, 'insecure') === 'true',
    ...(name ? { name } : {}),
    secret: secret.metadata.name ?? '',
  };
}

/** Whether a Secret is the one for this URL (compared in canonical form). */
export function sameRepo(secret: KubeObject, url: string): boolean {
  const own = secretField(secret, 'url');
  if (!own) return false;
  try {
    return normalizeRepoURL(own) === normalizeRepoURL(url);
  } catch {
    return false;
  }
}
