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
import { credentialsFor, readKnownHosts, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import { DiffCache } from '../../gitops/diff.ts';
import { DirectLiveState, type AppTarget } from '../../gitops/live.ts';
import { apiVersionOf } from '../../gitops/prune.ts';
import { Reconciler, type Comparison } from '../../gitops/reconcile.ts';
import type { Kube } from '../../kube/api.ts';
import { RenderCache } from '../../render/index.ts';
import { connectDestination } from '../../runtime/connect.ts';
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
      new Option(
        '--controller-namespace <ns>',
        'the controller’s namespace: repository and cluster Secrets, and its Lease',
      )
        .env('SLUICE_CONTROLLER_NAMESPACE')
        .default(DEFAULT_APP_NAMESPACE),
    );
}

/** A comparison made here, with the live objects of what a sync would prune. */
export type LocalComparison = Comparison & { prune: PruneTarget[] };

/** A comparison that could not be made exits 2 (1 means: differences). */
function asUsage(err: unknown): never {
  throw err instanceof SluiceError
    ? new SluiceError(err.code, err.message, {
        exitCode: 2,
        cause: err,
        ...(err.hint ? { hint: err.hint } : {}),
      })
    : err;
}

/**
 * Runs `fn` with a client of the app's destination cluster (the local one, or a cluster
 * registered with `sluice cluster add`), closed afterwards.
 */
export async function onDestination<T>(
  local: Kube,
  app: Application,
  o: LocalOptions,
  fn: (dest: Kube, target: AppTarget) => Promise<T>,
): Promise<T> {
  const owner = `Application ${app.metadata.namespace}/${app.metadata.name}`;
  const dest = await connectDestination(
    local,
    o.controllerNamespace,
    app.spec.destination,
    owner,
  ).catch(asUsage);
  try {
    return await fn(dest.kube, {
      cluster: dest.name,
      server: dest.server,
      kube: dest.kube,
      live: new DirectLiveState(dest.kube),
    });
  } finally {
    if (!dest.local) await dest.kube.close();
  }
}

/** Steps 1-4 of a reconcile for `app`, against its destination; a failure is exit 2. */
export async function compareLocally(
  kube: Kube,
  app: Application,
  o: LocalOptions,
): Promise<LocalComparison> {
  const asked = structuredClone(app);
  if (o.revision) asked.operation = { sync: { revision: o.revision } };
  const secrets = await kube
    .list('v1', 'Secret', { namespace: o.controllerNamespace, labelSelector: REPO_SECRET_SELECTOR })
    .catch(() => ({ items: [] }));
  const knownHosts = await readKnownHosts(kube, o.controllerNamespace).catch(() => undefined);
  const reconciler = new Reconciler({
    kube,
    target: () => Promise.reject(new Error('the CLI passes the target')),
    mirrors: new GitMirrors({ dir: join(cacheRoot(), 'cli', 'git') }),
    renderCache: new RenderCache(),
    diffCache: new DiffCache(),
    credentials: (url) => Promise.resolve(credentialsFor(url, secrets.items, knownHosts)),
    getApp: () => undefined,
  });
  return onDestination(kube, app, o, async (dest, target) => {
    const cmp = await reconciler.compare(asked, { refresh: 'always' }, target).catch(asUsage);
    return { ...cmp, prune: await pruneTargets(dest, cmp) };
  });
}

/** The prune candidates of a comparison, each with its live object. */
function pruneTargets(kube: Kube, cmp: Comparison): Promise<PruneTarget[]> {
  return Promise.all(
    cmp.pruneCandidates.map(async (entry) => ({
      entry,
      live: await kube.get(apiVersionOf(entry), entry.kind, entry.namespace, entry.name),
    })),
  );
}
