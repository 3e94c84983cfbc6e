/**
 * The comparison `app diff`, `app manifests --source git` and `app sync --dry-run` compute on
 * this machine: fetch, render and server-side dry-run against the cluster, with the same code the
 * controller runs (`Reconciler.compare`). Writes nothing to the cluster.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Application } from '../../api/application.ts';
import { cacheRoot } from '../../devcluster/paths.ts';
import { SluiceError } from '../../errors.ts';
import type { PruneTarget } from '../../gitops/changes.ts';
import { credentialsFor, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import { DiffCache } from '../../gitops/diff.ts';
import { DirectLiveState } from '../../gitops/live.ts';
import { apiVersionOf } from '../../gitops/prune.ts';
import { Reconciler, type Comparison } from '../../gitops/reconcile.ts';
import type { Kube } from '../../kube/api.ts';
import { RenderCache } from '../../render/index.ts';
import { GitMirrors } from '../../source/index.ts';
import { DEFAULT_APP_NAMESPACE, type GlobalOptions } from '../context.ts';

export interface LocalOptions extends GlobalOptions {
  revision?: string;
  controllerNamespace: string;
}

/** `--revision` and `--controller-namespace` (where repository Secrets live). */
export function addLocalOptions(
  cmd: Command,
  revision = 'compare this revision instead of the target revision',
): Command {
  return cmd
    .option('--revision <rev>', revision)
    .addOption(
      new Option('--controller-namespace <ns>', 'where repository Secrets live').default(
        DEFAULT_APP_NAMESPACE,
      ),
    );
}

/** Steps 1-4 of a reconcile for `app`; a comparison that fails is exit 2 and says why. */
export async function compareLocally(
  kube: Kube,
  app: Application,
  o: LocalOptions,
): Promise<Comparison> {
  const target = structuredClone(app);
  if (o.revision) target.operation = { sync: { revision: o.revision } };
  const secrets = await kube
    .list('v1', 'Secret', { namespace: o.controllerNamespace, labelSelector: REPO_SECRET_SELECTOR })
    .catch(() => ({ items: [] }));
  const reconciler = new Reconciler({
    kube,
    mirrors: new GitMirrors({ dir: join(cacheRoot(), 'cli', 'git') }),
    renderCache: new RenderCache(),
    diffCache: new DiffCache(),
    live: new DirectLiveState(kube),
    credentials: (url) => Promise.resolve(credentialsFor(url, secrets.items)),
    getApp: () => undefined,
  });
  return reconciler.compare(target, { refresh: 'always' }).catch((err: unknown) => {
    throw err instanceof SluiceError
      ? new SluiceError(err.code, err.message, {
          exitCode: 2,
          cause: err,
          ...(err.hint ? { hint: err.hint } : {}),
        })
      : err;
  });
}

/** The prune candidates of a comparison, each with its live object. */
export function pruneTargets(kube: Kube, cmp: Comparison): Promise<PruneTarget[]> {
  return Promise.all(
    cmp.pruneCandidates.map(async (entry) => ({
      entry,
      live: await kube.get(apiVersionOf(entry), entry.kind, entry.namespace, entry.name),
    })),
  );
}
