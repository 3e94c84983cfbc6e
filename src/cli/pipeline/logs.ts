/**
 * `sluice pipeline logs RUN [--task T] [--step S] [-f]`: a run's logs, from its pods while they
 * exist and from the run store once they are gone (or the PipelineRun itself was deleted). With
 * `-f`, follows the run until it is over. Lines are prefixed `[task : step]` as tkn prints them,
 * bare when one task and one step are asked for.
 *
 * Exit 0 once the logs are printed (whatever the run's outcome: `start --showlog` and
 * `get --watch --exit-on-complete` report outcomes), 3 when the run is neither in the cluster nor
 * in the store, or has no such task.
 */
import { defaultStoreUrl, redactUrl } from '../../pipelines/store/index.ts';
import { Command } from 'commander';
import type { PipelineRun } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { printLogs } from '../../pipelines/store/index.ts';
import {
  byStart,
  followRun,
  LogOutput,
  readTaskRun,
  selected,
  StoreFallback,
  type Selection,
} from './follow.ts';
import { chooseRun, getPipelineRun, NotFoundError, runSpec, taskRunsOf } from './objects.ts';
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

export type LogsOptions = PipelineOptions &
  StoreOptions & {
    task?: string;
    step?: string;
    follow?: boolean;
    timestamps?: boolean;
    last?: string | boolean;
  };

const write = (text: string): void => {
  process.stdout.write(text);
};

/** Ctrl-C while following ends the command quietly (exit 0). */
export function interruptible(): { signal: AbortSignal; done: () => void } {
  const ctl = new AbortController();
  const stop = (): void => ctl.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ctl.signal,
    done: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** The PipelineRun is gone from the cluster: its logs as the store kept them. */
async function fromStoreOnly(o: LogsOptions, namespace: string, name: string, signal: AbortSignal) {
  const store = await openStoreIfAny(o);
  if (!store) {
    throw new NotFoundError(
      'PipelineRun',
      namespace,
      name,
      `list them with \`sluice pipeline runs -n ${namespace}\`; the logs of runs deleted from the cluster are read from the run store (--database-url or $SLUICE_DATABASE_URL)`,
    );
  }
  try {
    const ref = { kind: 'PipelineRun' as const, namespace, name };
    const sel = { task: o.task, step: o.step, follow: o.follow, signal };
    await printLogs(store, ref, sel, write);
  } finally {
    await store.close();
  }
}

/** Refuses a --task the run does not have (pipeline task or TaskRun), naming those it has. */
async function checkTask(kube: Kube, run: PipelineRun, task: string | undefined): Promise<void> {
  if (task === undefined) return;
  const spec = await runSpec(kube, run);
  if (!spec) return;
  const names = [...spec.tasks, ...(spec.finally ?? [])].map((t) => t.name);
  if (names.includes(task)) return;
  if ((await taskRunsOf(kube, run)).some((tr) => tr.metadata.name === task)) return;
  throw new NotFoundError(
    'Task',
    run.metadata.namespace,
    `${run.metadata.name}/${task}`,
    `PipelineRun ${run.metadata.name} has tasks: ${names.join(', ')} (or give a TaskRun's name)`,
  );
}

/** Prints the logs of `run` (live from pods, else the store); follows with `o.follow`. */
export async function showRunLogs(
  kube: Kube,
  run: PipelineRun,
  o: LogsOptions,
  signal: AbortSignal,
): Promise<void> {
  await checkTask(kube, run, o.task);
  const sel: Selection = { task: o.task, step: o.step, timestamps: o.timestamps };
  const out = new LogOutput(o.task === undefined || o.step === undefined, write);
  const ref = {
    kind: 'PipelineRun' as const,
    namespace: run.metadata.namespace,
    name: run.metadata.name,
    uid: run.metadata.uid,
  };
  const store = new StoreFallback(
    ref,
    () => openStoreIfAny(o),
    () =>
      process.stderr.write(
        `• logs of pods that are gone are read from the run store (${redactUrl(o.databaseUrl ?? defaultStoreUrl())})\n`,
      ),
  );
  try {
    if (o.follow) await followRun(kube, run, sel, out, store, signal);
    else {
      const trs = (await taskRunsOf(kube, run)).sort(byStart);
      for (const tr of trs.filter((t) => selected(t, sel)))
        await readTaskRun(kube, tr, sel, out, store);
      if (trs.length === 0)
        process.stderr.write(`• PipelineRun ${run.metadata.name} has no TaskRuns yet\n`);
    }
    out.end();
  } finally {
    await store.close();
  }
  if (out.lost.length > 0)
    process.stderr.write(
      `• logs of ${out.lost.join(', ')} are gone: their pods were deleted and no run store has them (--database-url names the store)\n`,
    );
}

export function logsCommand(): Command {
  const cmd = new Command('logs')
    .description(
      "print a PipelineRun's logs: live from its pods, or from the run store once they are gone; -f follows the run until it is over",
    )
    .option('-f, --follow', 'follow the run: print lines as they are written, until it is over')
    .option('-t, --task <task>', 'only this pipeline task (or TaskRun)')
    .option('-s, --step <step>', 'only this step (with --task: bare lines, no prefix)')
    .option('--timestamps', 'start each line with its time (live logs)')
    .addOption(databaseUrlOption())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline logs ci-run-x7k2p -f -n ci\n  sluice pipeline logs --last ci --task build\n' +
        '  sluice pipeline logs ci-run-x7k2p --task build --step compile > compile.log',
    );
  addRunArgument(cmd);
  addPipelineOptions(cmd);
  return cmd.action(async (arg: string | undefined, o: LogsOptions) => {
    const choice = runChoice(arg, o);
    const { signal, done } = interruptible();
    try {
      await withPipelineKube(o, async (kube, namespace) => {
        const name = await chooseRun(kube, namespace, choice);
        const run = await getPipelineRun(kube, namespace, name);
        if (!run) await fromStoreOnly(o, namespace, name, signal);
        else await showRunLogs(kube, run, o, signal);
      });
    } finally {
      done();
    }
  });
}
