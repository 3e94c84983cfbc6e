/**
 * `sluice app diff`: what a sync would change, computed here (fetch, render, server-side dry-run
 * against the cluster) with the same code the controller runs. Coloured unified diffs, or with
 * `-o json|yaml` the changes as data (src/gitops/changes.ts). Exit 0: no differences; 1:
 * differences; 2: the comparison failed.
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Application } from '../../api/application.ts';
import { buildChanges, type PruneTarget } from '../../gitops/changes.ts';
import { renderDiff } from '../../gitops/diff.ts';
import { maskSecret } from '../../gitops/mask.ts';
import type { Comparison } from '../../gitops/reconcile.ts';
import { formatRef } from '../../kube/types.ts';
import { addClusterOptions, colorDiff, red, withKube } from '../context.ts';
import { printData } from '../output.ts';
import { getApp } from './common.ts';
import { addLocalOptions, compareLocally, type LocalOptions } from './local.ts';

type DiffOptions = LocalOptions & { output?: 'json' | 'yaml' };

/** Prints the coloured text diff; returns how many objects differ. */
function printText(app: Application, cmp: Comparison, prune: readonly PruneTarget[]): number {
  let count = 0;
  for (const d of cmp.diffs.values()) {
    if (d.inSync) continue;
    count++;
    if (d.error) {
      process.stdout.write(red(`✗ ${d.error.describe()}\n`));
      continue;
    }
    const text = renderDiff(d, app.spec.ignoreDifferences);
    process.stdout.write(
      text
        ? colorDiff(text)
        : `~ ${formatRef(d.resource.ref)}: will be created once its namespace/CRD exists\n`,
    );
  }
  for (const { entry: c, live } of prune) {
    count++;
    const ref = { group: c.group, kind: c.kind, namespace: c.namespace ?? '', name: c.name };
    const body = live
      ? stringify(maskSecret(live))
          .split('\n')
          .map((l) => `-${l}`)
          .join('\n')
      : '';
    process.stdout.write(
      colorDiff(
        `--- live/${formatRef(ref)} (no longer in Git: pruned by a sync with prune)\n${body}\n`,
      ),
    );
  }
  return count;
}

export function diffCommand(): Command {
  const cmd = new Command('diff')
    .description('show what a sync would change (exit 0: none, 1: differences)')
    .argument('<name>')
    .addOption(
      new Option('-o, --output <format>', 'the changes as data instead of a text diff').choices([
        'json',
        'yaml',
      ]),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  sluice app diff guestbook\n' +
        '  sluice app diff guestbook -o json | jq \'.[] | select(.action != "unchanged") | .changedPaths\'',
    );
  addLocalOptions(cmd);
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: DiffOptions) => {
    const changed = await withKube(o, async (kube) => {
      const app = await getApp(kube, o.appNamespace, name);
      const cmp = await compareLocally(kube, app, o);
      const prune = cmp.prune;
      let count: number;
      if (o.output) {
        const changes = buildChanges(cmp.diffs.values(), prune, app.spec.ignoreDifferences);
        printData(o.output, changes, () => '');
        count = changes.filter((c) => c.action !== 'unchanged').length;
      } else {
        count = printText(app, cmp, prune);
      }
      process.stderr.write(
        count === 0
          ? `• ${name} is in sync at ${cmp.revision.slice(0, 7)}\n`
          : `• ${count} object(s) differ from ${cmp.revision.slice(0, 7)}\n`,
      );
      return count > 0;
    });
    if (changed) process.exitCode = 1;
  });
}
