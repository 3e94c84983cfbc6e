/**
 * `sluice task list | get` (Tasks: the definitions) and `sluice taskrun list | get | logs`
 * (alias `tr`: TaskRuns, each one run of a Task — standalone, or one task of a PipelineRun).
 * Read commands take `-o table|json|yaml`; `taskrun logs` reads the pod while it exists and the
 * run store once it is gone, as `sluice pipeline logs` does. Exit 3 when the object is not found.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { API_VERSION } from '../../api/application.ts';
import { TASK_KIND, TASK_RUN_KIND, type Task, type TaskRun } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { RUN_LABEL } from '../../pipelines/pipelinerun/children.ts';
import { printLogs, type RunRef } from '../../pipelines/store/index.ts';
import { whileBusy } from '../app/common.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import {
  followTaskRun,
  LogOutput,
  readTaskRun,
  stepsOf,
  StoreFallback,
} from '../pipeline/follow.ts';
import { interruptible } from '../pipeline/logs.ts';
import { NotFoundError, slim } from '../pipeline/objects.ts';
import {
  addPipelineOptions,
  databaseUrlOption,
  openStoreIfAny,
  withPipelineKube,
  type PipelineOptions,
  type StoreOptions,
} from '../pipeline/options.ts';
import {
  renderTask,
  renderTaskRun,
  renderTaskRuns,
  renderTasks,
  taskRow,
  taskRunRow,
  taskRunState,
} from './render.ts';

type ListOptions = PipelineOptions & { output: OutputFormat; allNamespaces?: boolean };

const byName = <T extends { metadata: { name: string; namespace: string } }>(a: T, b: T) =>
  `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
    `${b.metadata.namespace}/${b.metadata.name}`,
  );

const notFound = (kind: string, ns: string, name: string, list: string) =>
  new NotFoundError(kind, ns, name, `list them with \`sluice ${list} list -n ${ns}\``);

function listOf(description: string, example: string): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description(description)
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText('after', `\nExample:\n  ${example}`);
  return addPipelineOptions(cmd);
}

function taskListCommand(): Command {
  return listOf('list Tasks: steps, params, age', 'sluice task list -n ci -o json').action(
    async (o: ListOptions) => {
      await withPipelineKube(o, async (kube, namespace) => {
        const ns = o.allNamespaces ? {} : { namespace };
        const list = await whileBusy(() => kube.list<Task>(API_VERSION, TASK_KIND, ns));
        const rows = list.items.sort(byName).map(taskRow);
        printData(o.output, rows, () =>
          rows.length === 0
            ? 'no Tasks\n'
            : renderTasks(rows, o.allNamespaces === true, new Date()),
        );
      });
    },
  );
}

function taskGetCommand(): Command {
  const cmd = new Command('get')
    .alias('describe')
    .description('show a Task: params, results, workspaces and its steps (image, what each runs)')
    .argument('<task>', 'the Task')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\n-o json|yaml prints the Task.\nExample:\n  sluice task get build -n ci',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (name: string, o: ListOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const t = await whileBusy(() => kube.get<Task>(API_VERSION, TASK_KIND, namespace, name));
      if (!t) throw notFound('Task', namespace, name, 'task');
      printData(o.output, slim(t), () => renderTask(t));
    });
  });
}

export function taskCommand(): Command {
  return new Command('task')
    .alias('tasks')
    .alias('t')
    .summary('Tasks: list, get')
    .description(
      'A Task is steps run in order in one pod, sharing its workspaces; Pipelines run Tasks.',
    )
    .addCommand(taskListCommand())
    .addCommand(taskGetCommand())
    .addHelpText('after', '\nExamples:\n  sluice task list -n ci\n  sluice task get build -o yaml');
}

type RunListOptions = ListOptions & { pipelinerun?: string };

function taskRunListCommand(): Command {
  return listOf(
    'list TaskRuns: task, PipelineRun, status, when started, duration',
    'sluice taskrun list --pipelinerun ci-run-x7k2p',
  )
    .option('--pipelinerun <run>', 'only the TaskRuns of this PipelineRun')
    .action(async (o: RunListOptions) => {
      await withPipelineKube(o, async (kube, namespace) => {
        const list = await whileBusy(() =>
          kube.list<TaskRun>(API_VERSION, TASK_RUN_KIND, {
            ...(o.allNamespaces ? {} : { namespace }),
            ...(o.pipelinerun ? { labelSelector: `${RUN_LABEL}=${o.pipelinerun}` } : {}),
          }),
        );
        const now = new Date();
        const rows = list.items
          .sort(
            (a, b) =>
              (b.metadata.creationTimestamp ?? '').localeCompare(
                a.metadata.creationTimestamp ?? '',
              ) || byName(a, b),
          )
          .map((tr) => taskRunRow(tr, now));
        printData(o.output, rows, () =>
          rows.length === 0 ? 'no TaskRuns\n' : renderTaskRuns(rows, o.allNamespaces === true, now),
        );
      });
    });
}

function taskRunGetCommand(): Command {
  const cmd = new Command('get')
    .alias('describe')
    .description(
      'show a TaskRun: status, pod, params, results and each step (state, exit code, duration)',
    )
    .argument('<taskrun>', 'the TaskRun')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\n-o json|yaml prints the TaskRun.\nExample:\n  sluice taskrun get ci-run-x7k2p-build',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (name: string, o: ListOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const tr = await whileBusy(() =>
        kube.get<TaskRun>(API_VERSION, TASK_RUN_KIND, namespace, name),
      );
      if (!tr) throw notFound('TaskRun', namespace, name, 'taskrun');
      printData(o.output, slim(tr), () => renderTaskRun(tr, new Date()));
    });
  });
}

/** Where the store keeps this TaskRun's logs: under its PipelineRun, or as its own run. */
const storeRef = (tr: TaskRun): RunRef => {
  const run = tr.metadata.labels?.[RUN_LABEL];
  const ns = tr.metadata.namespace;
  return run
    ? { kind: 'PipelineRun', namespace: ns, name: run }
    : { kind: 'TaskRun', namespace: ns, name: tr.metadata.name };
};

/** A TaskRun by taskRef names its steps once the controller has read the Task. */
async function withSteps(kube: Kube, tr: TaskRun, signal: AbortSignal): Promise<TaskRun> {
  let now: TaskRun | undefined = tr;
  while (
    now &&
    stepsOf(now).length === 0 &&
    taskRunState(now).state === 'Pending' &&
    !signal.aborted
  ) {
    await sleep(500);
    now = await kube.get<TaskRun>(
      API_VERSION,
      TASK_RUN_KIND,
      tr.metadata.namespace,
      tr.metadata.name,
    );
  }
  return now ?? tr;
}

type LogsOptions = PipelineOptions &
  StoreOptions & { step?: string; follow?: boolean; timestamps?: boolean };

async function taskRunLogs(
  kube: Kube,
  namespace: string,
  name: string,
  o: LogsOptions,
  signal: AbortSignal,
) {
  const tr = await kube.get<TaskRun>(API_VERSION, TASK_RUN_KIND, namespace, name);
  if (!tr) {
    const store = await openStoreIfAny(o);
    if (!store) throw notFound('TaskRun', namespace, name, 'taskrun');
    try {
      await printLogs(
        store,
        { kind: 'TaskRun', namespace, name },
        { step: o.step, follow: o.follow, signal },
        (t) => process.stdout.write(t),
      );
    } finally {
      await store.close();
    }
    return;
  }
  const out = new LogOutput(o.step === undefined, (t) => process.stdout.write(t));
  const store = new StoreFallback(storeRef(tr), () => openStoreIfAny(o));
  const sel = { step: o.step, timestamps: o.timestamps };
  try {
    if (o.follow)
      await followTaskRun(kube, await withSteps(kube, tr, signal), sel, out, store, signal);
    else await readTaskRun(kube, tr, sel, out, store);
    out.end();
  } finally {
    await store.close();
  }
  if (out.lost.length > 0)
    process.stderr.write(
      `• logs of ${out.lost.join(', ')} are gone: the pod was deleted and no run store has them\n`,
    );
}

function taskRunLogsCommand(): Command {
  const cmd = new Command('logs')
    .description("print a TaskRun's step logs: from its pod, or from the run store once it is gone")
    .argument('<taskrun>', 'the TaskRun')
    .option('-f, --follow', 'print lines as they are written, until the TaskRun is over')
    .option('-s, --step <step>', 'only this step (bare lines, no prefix)')
    .option('--timestamps', 'start each line with its time (live logs)')
    .addOption(databaseUrlOption())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice taskrun logs ci-run-x7k2p-build -f\n  sluice tr logs build-1 --step compile',
    );
  addPipelineOptions(cmd);
  return cmd.action(async (name: string, o: LogsOptions) => {
    const { signal, done } = interruptible();
    try {
      await withPipelineKube(o, (kube, namespace) => taskRunLogs(kube, namespace, name, o, signal));
    } finally {
      done();
    }
  });
}

export function taskRunCommand(): Command {
  return new Command('taskrun')
    .alias('taskruns')
    .alias('tr')
    .summary('TaskRuns: list, get, logs')
    .description('A TaskRun runs one Task in one pod: on its own, or as one task of a PipelineRun.')
    .addCommand(taskRunListCommand())
    .addCommand(taskRunGetCommand())
    .addCommand(taskRunLogsCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice taskrun list --pipelinerun ci-run-x7k2p\n  sluice taskrun logs ci-run-x7k2p-build -f',
    );
}
