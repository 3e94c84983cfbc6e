/**
 * `sluice pipeline list | describe | runs | get`: read commands with `-o table|json|yaml`.
 * `list` and `describe` are about Pipelines (the definitions); `runs` and `get` about
 * PipelineRuns. `get --watch` keeps drawing the run's task graph (watch.ts).
 */
import { Command } from 'commander';
import { API_VERSION } from '../../api/application.ts';
import { PIPELINE_KIND, type Pipeline, type PipelineRun } from '../../api/pipeline.ts';
import { RUN_STATUSES, runSummary, type RunSummary } from '../../pipelines/store/index.ts';
import { whileBusy } from '../app/common.ts';
import { usageError } from '../app/flags.ts';
import { positiveInt } from './flags.ts';
import { formatTable, outputOption, printData, type OutputFormat } from '../output.ts';
import {
  getPipeline,
  getPipelineRun,
  chooseRun,
  listRuns,
  runNotFound,
  runSpec,
  slim,
  taskRunsOf,
} from './objects.ts';
import {
  addPipelineOptions,
  addRunArgument,
  databaseUrlOption,
  openStoreIfAny,
  runChoice,
  withPipelineKube,
  type PipelineOptions,
  type StoreOptions,
} from './options.ts';
import {
  renderPipeline,
  renderPipelines,
  renderRun,
  renderRuns,
  runRow,
  type PipelineRow,
} from './render.ts';
import { runView } from './view.ts';
import { watchRun } from './watch.ts';

type ListOptions = PipelineOptions & { output: OutputFormat; allNamespaces?: boolean };

const rowOf = (run: PipelineRun, now: Date) => runRow(runView(run, [], undefined, now));

export function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description(
      'list Pipelines, each with its newest run: status, when it started, how long it took',
    )
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline list -n ci\n  sluice pipeline list -A -o json',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (o: ListOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const ns = o.allNamespaces ? undefined : namespace;
      const [pipelines, runs] = await Promise.all([
        whileBusy(() =>
          kube.list<Pipeline>(API_VERSION, PIPELINE_KIND, ns ? { namespace: ns } : {}),
        ),
        listRuns(kube, ns),
      ]);
      const now = new Date();
      const rows: PipelineRow[] = pipelines.items
        .map((p) => {
          const last = runs.find(
            (r) =>
              r.metadata.namespace === p.metadata.namespace &&
              r.spec.pipelineRef?.name === p.metadata.name,
          );
          return {
            name: p.metadata.name,
            namespace: p.metadata.namespace,
            tasks: p.spec.tasks.length + (p.spec.finally?.length ?? 0),
            ...(last ? { lastRun: rowOf(last, now) } : {}),
          };
        })
        .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
      printData(o.output, rows, () =>
        rows.length === 0
          ? `no Pipelines in ${ns ? `namespace ${ns}` : 'any namespace'}\n`
          : renderPipelines(rows, o.allNamespaces === true, now),
      );
    });
  });
}

export function describeCommand(): Command {
  const cmd = new Command('describe')
    .alias('desc')
    .description(
      'show a Pipeline: its params, workspaces, results, task graph, and its newest runs',
    )
    .argument('<pipeline>', 'the Pipeline')
    .addOption(outputOption())
    .option('--limit <n>', 'how many runs to show', positiveInt('--limit'), 5)
    .addHelpText(
      'after',
      '\n-o json|yaml prints the Pipeline.\nExample:\n  sluice pipeline describe ci -n ci',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (name: string, o: ListOptions & { limit: number }) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const p = await getPipeline(kube, namespace, name);
      const now = new Date();
      const runs = (await listRuns(kube, namespace, name))
        .slice(0, o.limit)
        .map((r) => rowOf(r, now));
      printData(o.output, slim(p), () => renderPipeline(p, runs, now));
    });
  });
}

type RunsOptions = ListOptions & StoreOptions & { limit: number; history?: boolean };

const parseLimit = positiveInt('--limit');

/** Runs the run store remembers (also those deleted from the cluster). */
async function historyRows(
  o: RunsOptions,
  namespace: string | undefined,
  pipeline: string | undefined,
) {
  const store = await openStoreIfAny(o);
  if (!store)
    throw usageError(
      '--history reads the run store: none found',
      'give --database-url (or set $SLUICE_DATABASE_URL)',
    );
  try {
    const runs = await store.listRuns({ namespace, pipeline, kind: 'PipelineRun', limit: o.limit });
    return runs.map((r) => ({ record: r, summary: runSummary(r) }));
  } finally {
    await store.close();
  }
}

export function runsCommand(name = 'runs'): Command {
  const cmd = new Command(name)
    .description('list PipelineRuns, newest first: pipeline, status, when started, duration')
    .argument('[pipeline]', 'only the runs of this Pipeline')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .option('--limit <n>', 'at most this many', parseLimit, 50)
    .option('--history', 'from the run store: also runs deleted from the cluster')
    .addOption(databaseUrlOption())
    .addHelpText(
      'after',
      `\nWith --history, -o json|yaml prints the store's records (status is one of ${RUN_STATUSES.join(', ')}).\n` +
        'Examples:\n  sluice pipeline runs -n ci\n  sluice pipeline runs build-and-test --limit 5\n  sluice pipeline runs --history -o json',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (pipeline: string | undefined, o: RunsOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const ns = o.allNamespaces ? undefined : namespace;
      if (o.history) {
        const rows = await historyRows(o, ns, pipeline);
        printData(
          o.output,
          rows.map((r) => r.record),
          () => historyTable(rows.map((r) => r.summary)),
        );
        return;
      }
      const now = new Date();
      const rows = (await listRuns(kube, ns, pipeline)).slice(0, o.limit).map((r) => rowOf(r, now));
      printData(o.output, rows, () =>
        rows.length === 0
          ? `no PipelineRuns${pipeline ? ` of ${pipeline}` : ''} in ${ns ? `namespace ${ns}` : 'any namespace'}\n`
          : renderRuns(rows, o.allNamespaces === true, now),
      );
    });
  });
}

function historyTable(rows: readonly RunSummary[]): string {
  if (rows.length === 0) return 'no runs in the run store\n';
  return formatTable(
    ['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION'],
    rows.map((r) => [r.name, r.pipeline, r.status, r.started, r.duration]),
  );
}

type GetOptions = PipelineOptions & {
  output: OutputFormat;
  watch?: boolean;
  exitOnComplete?: boolean;
  last?: string | boolean;
};

export function getCommand(): Command {
  const cmd = new Command('get')
    .description(
      "show a PipelineRun: status, params, results, and its task graph with each task's state, duration and attempts",
    )
    .addOption(outputOption())
    .option('-w, --watch', 'draw it again on every change (Ctrl-C ends)')
    .option(
      '--exit-on-complete',
      'with --watch: end when the run is over (exit 0 Succeeded, 1 otherwise)',
    )
    .addHelpText(
      'after',
      '\n-o json|yaml prints the same view as data, with the PipelineRun itself under `pipelineRun`.\n' +
        'Examples:\n  sluice pipeline get ci-run-x7k2p -n ci\n  sluice pipeline get --last -w\n' +
        '  sluice pipeline get ci-run-x7k2p -w --exit-on-complete && echo green',
    );
  addRunArgument(cmd);
  addPipelineOptions(cmd);
  return cmd.action(async (arg: string | undefined, o: GetOptions) => {
    const choice = runChoice(arg, o);
    if (o.watch && o.output !== 'table')
      throw usageError('--watch draws the table; -o json|yaml prints once, without --watch');
    if (o.exitOnComplete && !o.watch) throw usageError('--exit-on-complete goes with --watch');
    await withPipelineKube(o, async (kube, namespace) => {
      const name = await chooseRun(kube, namespace, choice);
      const run = await getPipelineRun(kube, namespace, name);
      if (!run) throw runNotFound(namespace, name);
      if (o.watch) {
        await watchRun(kube, namespace, name, { exitOnComplete: o.exitOnComplete === true });
        return;
      }
      const [taskRuns, spec] = await Promise.all([taskRunsOf(kube, run), runSpec(kube, run)]);
      const now = new Date();
      const view = runView(run, taskRuns, spec, now);
      printData(o.output, { ...view, pipelineRun: slim(run) }, () => renderRun(view, now));
    });
  });
}
