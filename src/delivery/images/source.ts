/**
 * Where an ImageUpdateAutomation writes: its `sourceRef` resolved to a repository URL, the branch
 * to check out and push to, and the credentials.
 *
 * - `kind: GitRepository` (default, Flux's): `spec.url`, `spec.ref.branch`, and `spec.secretRef`
 *   (a Secret in its namespace with `username` + `password`, `bearerToken`, or `identity`, an ssh
 *   private key, as Flux's GitRepository Secrets hold them).
 * - `kind: Application`: its `spec.source.repoURL` and `targetRevision` (a branch), with the
 *   repository Secrets the Application controller uses (label `sluice.dev/secret-type:
 *   repository` in the controller's namespace).
 *
 * `git.checkout.ref.branch` overrides the branch, `git.push.branch` the branch pushed to. Only
 * branches can be checked out and pushed; anything else is an InvalidSourceConfiguration.
 */
import { KIND as APPLICATION_KIND, API_VERSION, type Application } from '../../api/application.ts';
import {
  GIT_REPOSITORY_KIND,
  type GitRepository,
  type ImageUpdateAutomation,
} from '../../api/image.ts';
import { credentialsFor, readKnownHosts, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { RepoCredentials } from '../../source/index.ts';
import { secretData } from './auth.ts';

export interface GitTarget {
  url: string;
  /** The branch checked out. */
  branch: string;
  /** The branch pushed to (the same unless git.push.branch says otherwise). */
  pushBranch: string;
  credentials?: RepoCredentials;
  timeoutMs?: number;
  /** `GitRepository/ns/name` or `Application/ns/name`, for messages. */
  describe: string;
}

/** A source that cannot be used as written: the message says what to change. */
export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

function fromSecret(data: Readonly<Record<string, string>>): RepoCredentials {
  const c: RepoCredentials = {};
  if (data['username'] !== undefined) c.username = data['username'];
  if (data['password'] !== undefined) c.password = data['password'];
  if (data['bearerToken'] !== undefined) c.bearerToken = data['bearerToken'];
  if (data['identity'] !== undefined) c.sshPrivateKey = data['identity'];
  if (data['known_hosts'] !== undefined) c.sshKnownHosts = data['known_hosts'];
  return c;
}

const other = (ref: Record<string, unknown> | undefined): string | undefined =>
  (['tag', 'semver', 'name', 'commit'] as const).find((k) => ref?.[k] !== undefined);

/** Resolves the automation's source; throws SourceConfigError for what it cannot use. */
export async function resolveTarget(
  kube: Kube,
  auto: ImageUpdateAutomation,
  controllerNamespace: string,
): Promise<GitTarget> {
  const ref = auto.spec.sourceRef;
  const ns = ref.namespace ?? auto.metadata.namespace ?? '';
  const kind = ref.kind ?? GIT_REPOSITORY_KIND;
  const describe = `${kind}/${ns}/${ref.name}`;
  const checkout = auto.spec.git.checkout?.ref;
  if (other(checkout))
    throw new SourceConfigError(
      `spec.git.checkout.ref.${other(checkout) ?? ''}: Sluice checks out branches only`,
    );
  if (auto.spec.git.push?.refspec)
    throw new SourceConfigError('spec.git.push.refspec is not supported: use spec.git.push.branch');
  const base =
    kind === APPLICATION_KIND
      ? await fromApplication(kube, ns, ref.name, controllerNamespace)
      : await fromGitRepository(kube, ns, ref.name);
  const branch = checkout?.branch ?? base.branch;
  if (!branch)
    throw new SourceConfigError(`${describe} names no branch: set spec.git.checkout.ref.branch`);
  return {
    ...base,
    branch,
    pushBranch: auto.spec.git.push?.branch ?? branch,
    describe,
  };
}

async function fromGitRepository(
  kube: Kube,
  ns: string,
  name: string,
): Promise<Omit<GitTarget, 'pushBranch' | 'describe' | 'branch'> & { branch?: string }> {
  const repo = await kube.get<GitRepository>(API_VERSION, GIT_REPOSITORY_KIND, ns, name);
  if (!repo) throw new SourceConfigError(`GitRepository ${ns}/${name} (spec.sourceRef) not found`);
  const refOther = other(repo.spec.ref);
  if (refOther && !repo.spec.ref?.branch)
    throw new SourceConfigError(
      `GitRepository ${ns}/${name} checks out a ${refOther}: an automation needs a branch (spec.git.checkout.ref.branch)`,
    );
  let credentials: RepoCredentials | undefined;
  const secretName = repo.spec.secretRef?.name;
  if (secretName) {
    const secret = await kube.get('v1', 'Secret', ns, secretName);
    if (!secret)
      throw new SourceConfigError(
        `Secret ${ns}/${secretName} (GitRepository ${name} spec.secretRef) not found`,
      );
    credentials = fromSecret(secretData(secret as KubeObject & { data?: unknown }));
  }
  return {
    url: repo.spec.url,
    ...(repo.spec.ref?.branch ? { branch: repo.spec.ref.branch } : {}),
    ...(credentials ? { credentials } : {}),
    ...(repo.spec.timeout ? { timeoutMs: parseDuration(repo.spec.timeout, 60_000) } : {}),
  };
}

async function fromApplication(
  kube: Kube,
  ns: string,
  name: string,
  controllerNamespace: string,
): Promise<Omit<GitTarget, 'pushBranch' | 'describe' | 'branch'> & { branch?: string }> {
  const app = await kube.get<Application>(API_VERSION, APPLICATION_KIND, ns, name);
  if (!app) throw new SourceConfigError(`Application ${ns}/${name} (spec.sourceRef) not found`);
  const url = app.spec.source.repoURL;
  const rev = app.spec.source.targetRevision;
  const secrets = await kube.list('v1', 'Secret', {
    namespace: controllerNamespace,
    labelSelector: REPO_SECRET_SELECTOR,
  });
  const knownHosts = await readKnownHosts(kube, controllerNamespace).catch(() => undefined);
  const credentials = credentialsFor(url, secrets.items, knownHosts);
  // HEAD, a tag or a SHA is no branch to push to: the checkout ref must then say which.
  const branch = rev && rev !== 'HEAD' && !/^[0-9a-f]{40}$/.test(rev) ? rev : undefined;
  return { url, ...(branch ? { branch } : {}), ...(credentials ? { credentials } : {}) };
}
