/**
 * `sluice app diff`: what a sync would change, computed here (fetch, render, server-side dry-run
 * against the cluster) with the same code the controller runs. Exit 0: no differences; 1:
 * differences; 2 or more: the comparison failed.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { cacheRoot } from '../../devcluster/paths.ts';
import { SluiceError } from '../../errors.ts';
import { credentialsFor, REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import { DiffCache, renderDiff } from '../../gitops/diff.ts';
import { DirectLiveState } from '../../gitops/live.ts';
import type { Kube } from '../../kube/api.ts';
import { maskSecret } from '../../gitops/mask.ts';
import { Reconciler } from '../../gitops/reconcile.ts';
import { formatRef } from '../../kube/types.ts';
import { RenderCache } from '../../render/index.ts';
import { connectDestination } from '../../runtime/connect.ts';
import { GitMirrors } from '../../source/index.ts';
import { addClusterOptions, colorDiff, red, withKube, type GlobalOptions } from '../context.ts';
import { getApp } from './common.ts';
import type { Application } from '../../api/application.ts';

export function diffCommand(): Command {
  const cmd = new Command('diff')
    .description('show what a sync would change (exit 0: none, 1: differences)')
    .argument('<name>')
    .option('--revision <rev>', 'compare this revision instead of the target revision')
    .option(
      '--controller-namespace <ns>',
      'where repository and cluster Secrets live',
      'sluice-system',
    );
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, o: GlobalOptions & { revision?: string; controllerNamespace: string }) => {
      const changed = await withKube(o, async (local) => {
        const app = await getApp(local, o.appNamespace, name);
        if (o.revision) app.operation = { sync: { revision: o.revision } };
        // The app's objects are on its destination cluster.
        const dest = await connectDestination(
          local,
          o.controllerNamespace,
          app.spec.destination,
          `Application ${o.appNamespace}/${name}`,
        ).catch(asComparisonFailure);
        try {
          return await diffApp(app, dest, local, o.controllerNamespace);
        } finally {
          if (!dest.local) await dest.kube.close();
        }
      });
      if (changed) process.exitCode = 1;
    },
  );
}

/** A comparison that could not be made exits 2 (1 means: differences). */
function asComparisonFailure(err: unknown): never {
  throw err instanceof SluiceError
    ? new SluiceError(err.code, err.message, {
        exitCode: 2,
        ...(err.hint ? { hint: err.hint } : {}),
      })
    : err;
}

/** Prints the diff of `app` against its destination; true when something differs. */
async function diffApp(
  app: Application,
  dest: { name: string; server: string; kube: Kube },
  local: Kube,
  controllerNamespace: string,
): Promise<boolean> {
  const name = app.metadata.name;
  const kube = dest.kube;
  const secrets = await local
    .list('v1', 'Secret', {
      namespace: controllerNamespace,
      labelSelector: REPO_SECRET_SELECTOR,
    })
    .catch(() => ({ items: [] }));
  const reconciler = new Reconciler({
    kube: local,
    target: () =>
      Promise.resolve({
        cluster: dest.name,
        server: dest.server,
        kube,
        live: new DirectLiveState(kube),
      }),
    mirrors: new GitMirrors({ dir: join(cacheRoot(), 'cli', 'git') }),
    renderCache: new RenderCache(),
    diffCache: new DiffCache(),
    credentials: (url) => Promise.resolve(credentialsFor(url, secrets.items)),
    getApp: () => undefined,
  });
  const cmp = await reconciler.compare(app, { refresh: 'always' }).catch(asComparisonFailure);
  let count = 0;
  for (const d of cmp.diffs.values()) {
    if (d.inSync) continue;
    count++;
    if (d.error) {
      process.stdout.write(red(`✗ ${d.error}\n`));
      continue;
    }
    const text = renderDiff(d, app.spec.ignoreDifferences);
    process.stdout.write(
      text
        ? colorDiff(text)
        : `~ ${formatRef(d.resource.ref)}: will be created once its namespace/CRD exists\n`,
    );
  }
  for (const c of cmp.pruneCandidates) {
    count++;
    const live = await kube.get(
      c.group ? `${c.group}/${c.version}` : c.version,
      c.kind,
      c.namespace,
      c.name,
    );
    const body = live
      ? stringify(maskSecret(live))
          .split('\n')
          .map((l) => `-${l}`)
          .join('\n')
      : '';
    process.stdout.write(
      colorDiff(
        `--- live/${formatRef({ group: c.group, kind: c.kind, namespace: c.namespace ?? '', name: c.name })} (no longer in Git: pruned by a sync with prune)\n${body}\n`,
      ),
    );
  }
  process.stderr.write(
    count === 0
      ? `• ${name} is in sync at ${cmp.revision.slice(0, 7)}\n`
      : `• ${count} object(s) differ from ${cmp.revision.slice(0, 7)}\n`,
  );
  return count > 0;
}
