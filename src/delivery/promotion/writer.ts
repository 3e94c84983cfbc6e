/**
 * The Promotion controller's Git writer: the image goes into the environment's Git target —
 * a kustomization's `images:` entry (`git.kustomize.image`, default the promoted repository) or a
 * Helm values key (`git.helm.key`, with `digestKey` when the chart takes the digest apart) — as
 * one commit pushed without force (delivery/gitwrite: a branch that moved is fetched and the edit
 * made again). Credentials: the repository Secrets of the controller's namespace, as for
 * Applications. A target that already holds the image makes no commit. With
 * `git.pullRequest`, the commit goes to a branch of its own and a pull request asks to merge it
 * (pullrequest.ts); its token comes from a Secret in the Promotion's namespace.
 */
import type { GitTarget, Promotion, PullRequestTarget } from '../../api/promotion.ts';
import { SluiceError } from '../../errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import { credentialsFor, readKnownHosts, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import type { Kube } from '../../kube/api.ts';
import type { Logger } from '../../util/log.ts';
import { kustomizeImageEdit, valuesEdit, writeToGit, type EditOutcome } from '../gitwrite/index.ts';
import { parseImageRef } from './imageref.ts';
import type { PromotionWriter, WriteRequest, WriteResult } from './controller.ts';
import { openPullRequest, promotionBranch } from './pullrequest.ts';

export interface GitWriterOptions {
  kube: Kube;
  /** Where the repository Secrets are (the controller's namespace). */
  namespace: string;
  log: Logger;
  author?: { name: string; email: string };
  workDir?: string;
}

const AUTHOR = { name: 'Sluice', email: 'sluice@localhost' };

/** The edit of one environment's target for `image`. */
export function promotionEdit(
  target: GitTarget,
  repository: string,
  image: string,
): (dir: string) => Promise<EditOutcome> {
  if (target.helm) {
    const ref = parseImageRef(image);
    const tagValue = target.helm.digestKey ? (ref.tag ?? '') : image.slice(repository.length + 1);
    const values = [{ key: target.helm.key, value: tagValue }];
    if (target.helm.digestKey && ref.digest)
      values.push({ key: target.helm.digestKey, value: ref.digest });
    return valuesEdit(target.path, values);
  }
  return kustomizeImageEdit(target.path, [
    { name: target.kustomize?.image ?? repository, ref: parseImageRef(image) },
  ]);
}

/** The forge token of a pull-request target, from its Secret in the Promotion's namespace. */
async function tokenOf(kube: Kube, p: Promotion, pr: PullRequestTarget): Promise<string> {
  const ref = pr.github?.tokenSecretRef ?? pr.gitlab?.tokenSecretRef;
  const ns = p.metadata.namespace ?? '';
  if (!ref)
    throw new SluiceError('InvalidTarget', `Promotion/${ns}/${p.metadata.name}: git.pullRequest names no forge`, {
      hint: 'set git.pullRequest.github or git.pullRequest.gitlab, with its tokenSecretRef',
    }); // prettier-ignore
  const secret = await kube.get<KubeObject & { data?: Record<string, string> }>(
    'v1',
    'Secret',
    ns,
    ref.name,
  );
  const value = secret?.data?.[ref.key];
  if (value === undefined)
    throw new SluiceError('MissingSecret', `Promotion/${ns}/${p.metadata.name}: the pull request's token: ${secret ? `Secret ${ns}/${ref.name} has no key ${ref.key}` : `no Secret ${ns}/${ref.name}`}`, {
      hint: `kubectl -n ${ns} create secret generic ${ref.name} --from-literal=${ref.key}=<token>`,
    }); // prettier-ignore
  return Buffer.from(value, 'base64').toString('utf8').trim();
}

/**
 * The edit committed and pushed to the target's branch, or to `pushBranch` made from it; with
 * `dryRun`, only the diff it would make on the target's branch.
 */
async function commit(
  o: GitWriterOptions,
  r: WriteRequest,
  target: GitTarget,
  to: { pushBranch?: string; dryRun?: boolean } = {},
) {
  const secrets = await o.kube.list('v1', 'Secret', {
    namespace: o.namespace,
    labelSelector: REPO_SECRET_SELECTOR,
  });
  const knownHosts = await readKnownHosts(o.kube, o.namespace).catch(() => undefined);
  const credentials = credentialsFor(target.repoURL, secrets.items, knownHosts);
  return writeToGit({
    repoURL: target.repoURL,
    branch: target.branch ?? 'main',
    ...(to.pushBranch ? { pushBranch: to.pushBranch } : {}),
    ...(to.dryRun ? { dryRun: true } : {}),
    ...(credentials ? { credentials } : {}),
    author: o.author ?? AUTHOR,
    edit: promotionEdit(target, r.promotion.spec.image, r.image),
    message: () => r.message,
    ...(o.workDir ? { workDir: o.workDir } : {}),
    signal: r.signal,
    onRetry: (n, why) =>
      o.log.info('promotion: the branch moved; writing again', {
        environment: r.environment.name,
        attempt: n,
        why,
      }),
  });
}

/**
 * Promotion by pull request: the commit on a branch of its own and a pull request for it (or the
 * one an earlier try opened). Nothing when the target branch already holds the image.
 */
async function byPullRequest(
  o: GitWriterOptions,
  r: WriteRequest,
  target: GitTarget,
  pr: PullRequestTarget,
): Promise<WriteResult> {
  const head = promotionBranch(r.environment.name, r.version, pr.branchPrefix);
  // The token first: a promotion that could not ask to merge its branch pushes nothing.
  const token = await tokenOf(o.kube, r.promotion, pr);
  const wanted = await commit(o, r, target, { dryRun: true });
  if (wanted.diff === undefined) return {};
  const written = await commit(o, r, target, { pushBranch: head });
  const pullRequest = await openPullRequest(
    {
      target: pr,
      repoURL: target.repoURL,
      token,
      head,
      base: target.branch ?? 'main',
      title: r.message.split('\n')[0] ?? head,
      body: r.message.split('\n').slice(1).join('\n').trim(),
    },
    r.signal,
  );
  o.log.info('promotion: pull request open', {
    environment: r.environment.name,
    pullRequest: pullRequest.url,
  });
  return { commit: written.commit ?? written.base, pullRequest };
}

export function gitPromotionWriter(o: GitWriterOptions): PromotionWriter {
  return {
    async write(r: WriteRequest) {
      const target = r.environment.git;
      if (!target) return {}; // an environment without a Git target is written by someone else (CI)
      if (target.pullRequest) return byPullRequest(o, r, target, target.pullRequest);
      const result = await commit(o, r, target);
      return result.commit ? { commit: result.commit } : {};
    },
  };
}
