/**
 * The Promotion controller's Git writer: the image goes into the environment's Git target —
 * a kustomization's `images:` entry (`git.kustomize.image`, default the promoted repository) or a
 * Helm values key (`git.helm.key`, with `digestKey` when the chart takes the digest apart) — as
 * one commit pushed without force (delivery/gitwrite: a branch that moved is fetched and the edit
 * made again). Credentials: the repository Secrets of the controller's namespace, as for
 * Applications. A target that already holds the image makes no commit.
 */
import type { GitTarget } from '../../api/promotion.ts';
import { credentialsFor, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import type { Kube } from '../../kube/api.ts';
import type { Logger } from '../../util/log.ts';
import { kustomizeImageEdit, valuesEdit, writeToGit, type EditOutcome } from '../gitwrite/index.ts';
import { parseImageRef } from './imageref.ts';
import type { PromotionWriter, WriteRequest } from './controller.ts';

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

export function gitPromotionWriter(o: GitWriterOptions): PromotionWriter {
  return {
    async write(r: WriteRequest) {
      const target = r.environment.git;
      if (!target) return {}; // an environment without a Git target is written by someone else (CI)
      const secrets = await o.kube.list('v1', 'Secret', {
        namespace: o.namespace,
        labelSelector: REPO_SECRET_SELECTOR,
      });
      const credentials = credentialsFor(target.repoURL, secrets.items);
      const result = await writeToGit({
        repoURL: target.repoURL,
        branch: target.branch ?? 'main',
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
      return result.commit ? { commit: result.commit } : {};
    },
  };
}
