/**
 * `sluice pipeline ...` and, for tkn users, `sluice pipelinerun ...` (alias `pr`): CI pipelines
 * from the command line. The nouns:
 *
 * | command                      | about        | what                                          |
 * |------------------------------|--------------|-----------------------------------------------|
 * | pipeline list                | Pipelines    | each with its newest run                      |
 * | pipeline describe PIPELINE   | a Pipeline   | params, workspaces, task graph, newest runs   |
 * | pipeline start PIPELINE      | a Pipeline   | creates a PipelineRun (-p, -w, --showlog)     |
 * | pipeline run -f FILE         | a file       | applies it and runs it; --local: here         |
 * | pipeline runs [PIPELINE]     | PipelineRuns | newest first (--history: from the run store)  |
 * | pipeline get RUN             | a run        | its task graph with states (--watch)          |
 * | pipeline logs RUN            | a run        | from pods, else the run store (-f)            |
 * | pipeline cancel RUN          | a run        | spec.status Cancelled (--graceful)            |
 * | pipeline rerun RUN           | a run        | a new run with the same spec and params       |
 *
 * Every RUN argument may be replaced by `--last [PIPELINE]`. `sluice pipelinerun list | get
 * (describe) | logs | cancel | rerun` are the same commands under tkn's noun. Files: read.ts,
 * watch.ts, logs.ts + follow.ts, start.ts, run.ts + local.ts, operations.ts; pure: view.ts,
 * graph.ts, render.ts, flags.ts, manifest.ts.
 */
import { Command } from 'commander';
import { logsCommand } from './logs.ts';
import { cancelCommand, rerunCommand } from './operations.ts';
import { describeCommand, getCommand, listCommand, runsCommand } from './read.ts';
import { runCommand } from './run.ts';
import { startCommand } from './start.ts';

const EXIT_CODES =
  '\n\nExit codes: 0 ok, 1 the run failed (--showlog, --wait, --exit-on-complete) or nothing to cancel, 2 bad usage, 3 not found.';

export function pipelineCommand(): Command {
  return new Command('pipeline')
    .alias('pipelines')
    .alias('p')
    .summary(
      'CI pipelines: list, start, run -f [--local], runs, get --watch, logs -f, cancel, rerun',
    )
    .description(
      'A Pipeline is a graph of Tasks (steps run in order in one pod) with params, results, workspaces, when, finally, retries and matrix, as Tekton v1 defines them; a PipelineRun runs one. `list` and `describe` show Pipelines; `get`, `logs`, `cancel` and `rerun` take a PipelineRun (or --last).',
    )
    .addCommand(listCommand())
    .addCommand(describeCommand())
    .addCommand(startCommand())
    .addCommand(runCommand())
    .addCommand(runsCommand())
    .addCommand(getCommand())
    .addCommand(logsCommand())
    .addCommand(cancelCommand())
    .addCommand(rerunCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline start ci -p version=1.2.3 -w name=shared,emptyDir= --showlog\n' +
        '  sluice pipeline get --last -w\n  sluice pipeline logs --last ci -f' +
        EXIT_CODES,
    );
}

/** tkn's `pipelinerun` noun: the run commands of `sluice pipeline`. */
export function pipelineRunCommand(): Command {
  return new Command('pipelinerun')
    .alias('pipelineruns')
    .alias('pr')
    .summary('PipelineRuns, as tkn names them: list, get (describe), logs, cancel, rerun')
    .description("The run commands of `sluice pipeline`, under tkn's noun.")
    .addCommand(runsCommand('list').alias('ls'))
    .addCommand(getCommand().alias('describe').alias('desc'))
    .addCommand(logsCommand())
    .addCommand(cancelCommand())
    .addCommand(rerunCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pr list -n ci\n  sluice pr logs ci-run-x7k2p -f\n  sluice pr cancel --last' +
        EXIT_CODES,
    );
}
