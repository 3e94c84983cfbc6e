/**
 * `sluice trigger list | get`: read commands with `-o table|json|yaml`. `get` shows the
 * Trigger's refs and the runs it started (found by their `sluice.dev/trigger` label).
 */
import { Command } from 'commander';
import { API_VERSION } from '../../api/application.ts';
import { PIPELINE_RUN_KIND, type PipelineRun } from '../../api/pipeline.ts';
import { TRIGGER_KIND, TRIGGER_LABEL, type Trigger } from '../../api/trigger.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { whileBusy } from '../app/common.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { positiveInt } from '../pipeline/flags.ts';
import { addPipelineOptions, withPipelineKube, type PipelineOptions } from '../pipeline/options.ts';
import { renderTrigger, renderTriggers, triggerDetail, triggerRow } from './view.ts';

type ListOptions = PipelineOptions & { output: OutputFormat; allNamespaces?: boolean };

/** The Trigger, or exit 3 naming the command that lists them. */
export async function getTrigger(kube: Kube, namespace: string, name: string): Promise<Trigger> {
  const t = await whileBusy(() => kube.get<Trigger>(API_VERSION, TRIGGER_KIND, namespace, name));
  if (!t)
    throw new SluiceError('TriggerNotFound', `Trigger/${namespace}/${name} not found`, {
      hint: `list them with \`sluice trigger list -n ${namespace}\``,
      exitCode: 3,
    });
  return t;
}

export function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description('list Triggers: repository, branches and tags, policy, Ready, the last event')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice trigger list -n ci\n  sluice trigger list -A -o json',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (o: ListOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const ns = o.allNamespaces ? undefined : namespace;
      const list = await whileBusy(() =>
        kube.list<Trigger>(API_VERSION, TRIGGER_KIND, ns ? { namespace: ns } : {}),
      );
      const rows = list.items
        .map(triggerRow)
        .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
      printData(o.output, rows, () =>
        rows.length === 0
          ? `no Triggers in ${ns ? `namespace ${ns}` : 'any namespace'}\n`
          : renderTriggers(rows, o.allNamespaces === true, new Date()),
      );
    });
  });
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .alias('describe')
    .description(
      'show a Trigger: its filters, Ready, the last event, the last commit handled per ref, and the runs it started (newest first, with their place in its queue)',
    )
    .argument('<trigger>', 'the Trigger')
    .addOption(outputOption())
    .option('--limit <n>', 'how many runs to show', positiveInt('--limit'), 20)
    .addHelpText(
      'after',
      '\n-o json|yaml prints {trigger, runs}.\nExamples:\n  sluice trigger get ci -n team\n  sluice trigger get ci -o yaml',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (name: string, o: ListOptions & { limit: number }) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const t = await getTrigger(kube, namespace, name);
      const runs = await whileBusy(() =>
        kube.list<PipelineRun>(API_VERSION, PIPELINE_RUN_KIND, {
          namespace,
          labelSelector: `${TRIGGER_LABEL}=${name}`,
        }),
      );
      const now = new Date();
      const d = triggerDetail(t, runs.items, now);
      const shown = { ...d, runs: d.runs.slice(0, o.limit) };
      printData(o.output, shown, () => renderTrigger(shown, now));
    });
  });
}
