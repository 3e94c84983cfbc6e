/**
 * `sluice rollout list | get`: read commands with `-o table|json|yaml`. `get` shows a Rollout
 * with its revisions, ReplicaSets, pods and analysis (view.ts, render.ts); `--watch` keeps
 * drawing it (watch.ts).
 */
import { Command } from 'commander';
import { API_VERSION } from '../../api/application.ts';
import { ROLLOUT_KIND, type Rollout } from '../../api/rollout.ts';
import { whileBusy } from '../app/common.ts';
import { usageError } from '../app/flags.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { readTree } from './objects.ts';
import { addRolloutOptions, withRolloutKube, type RolloutOptions } from './options.ts';
import { renderList, renderRollout } from './render.ts';
import { rolloutView } from './view.ts';
import { watchRollout } from './watch.ts';

type ListOptions = RolloutOptions & { output: OutputFormat; allNamespaces?: boolean };

export function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description('list Rollouts: strategy, status, step, weight, replicas')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice rollout list -n shop\n  sluice rollout list -A -o json',
    );
  addRolloutOptions(cmd);
  return cmd.action(async (o: ListOptions) => {
    await withRolloutKube(o, async (kube, namespace) => {
      const list = await whileBusy(() =>
        kube.list<Rollout>(API_VERSION, ROLLOUT_KIND, o.allNamespaces ? {} : { namespace }),
      );
      const items = list.items.sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
      printData(o.output, items, () =>
        items.length === 0
          ? `no Rollouts in ${o.allNamespaces ? 'any namespace' : `namespace ${namespace}`}\n`
          : renderList(items, o.allNamespaces === true),
      );
    });
  });
}

type GetOptions = RolloutOptions & {
  output: OutputFormat;
  watch?: boolean;
  exitOnComplete?: boolean;
};

export function getCommand(): Command {
  const cmd = new Command('get')
    .description(
      'show a Rollout: status, step, set and actual weight, images, replicas, and its revisions with their ReplicaSets, pods and AnalysisRuns (each metric with its latest measurements)',
    )
    .argument('<name>', 'the Rollout')
    .addOption(outputOption())
    .option('-w, --watch', 'draw it again on every change (Ctrl-C ends)')
    .option(
      '--exit-on-complete',
      'with --watch: end when the rollout is Healthy (exit 0) or Degraded (exit 1)',
    )
    .addHelpText(
      'after',
      '\n-o json|yaml prints the same view as data, with the Rollout itself under `rollout`.\n' +
        'Examples:\n  sluice rollout get checkout -n shop\n  sluice rollout get checkout -w\n' +
        '  sluice rollout get checkout -w --exit-on-complete && echo released',
    );
  addRolloutOptions(cmd);
  return cmd.action(async (name: string, o: GetOptions) => {
    if (o.watch && o.output !== 'table')
      throw usageError('--watch draws the table; -o json|yaml prints once, without --watch');
    if (o.exitOnComplete && !o.watch) throw usageError('--exit-on-complete goes with --watch');
    await withRolloutKube(o, async (kube, namespace) => {
      // Not found: exit 3 before anything is drawn.
      const tree = await readTree(kube, namespace, name);
      if (o.watch) {
        await watchRollout(kube, namespace, name, { exitOnComplete: o.exitOnComplete === true });
        return;
      }
      const view = rolloutView(tree);
      // As kubectl prints objects: without managedFields.
      const { managedFields: _, ...metadata } = tree.rollout.metadata;
      const rollout = { ...tree.rollout, metadata };
      printData(o.output, { ...view, rollout }, () => renderRollout(view, new Date()));
    });
  });
}
