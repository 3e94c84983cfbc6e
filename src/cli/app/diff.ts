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
import { maskSecret } from '../../gitops/mask.ts';
import { Reconciler } from '../../gitops/reconcile.ts';
import { formatRef } from '../../kube/types.ts';
import { RenderCache } from '../../render/index.ts';
import { GitMirrors } from '../../source/index.ts';
import { addClusterOptions, colorDiff, red, withKube, type GlobalOptions } from '../context.ts';
import { getApp } from './common.ts';

export function diffCommand(): Command {
  const cmd = new Command('diff')
    .description('show what a sync would change (exit 0: none, 1: differences)')
    .argument('<name>')
    .option('--revision <rev>', 'compare this revision instead of the target revision')
    .option('--controller-namespace <ns>', 'where repository Secrets live', 'sluice-system');
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, o: GlobalOptions & { revision?: string; controllerNamespace: string }) => {
      const changed = await withKube(o, async (kube) => {
        const app = await getApp(kube, o.appNamespace, name);
        if (o.revision) app.operation = { sync: { revision: o.revision } };
        const secrets = await kube
          .list('v1', 'Secret', {
            namespace: o.controllerNamespace,
            labelSelector: REPO_SECRET_SELECTOR,
          })
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
        const cmp = await reconciler.compare(app, { refresh: 'always' }).catch((err: unknown) => {
          throw err instanceof SluiceError
            ? new SluiceError(err.code, err.message, {
                exitCode: 2,
                ...(err.hint ? { hint: err.hint } : {}),
              })
            : err;
        });
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
      });
      if (changed) process.exitCode = 1;
    },
  );
}
