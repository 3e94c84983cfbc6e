/**
 * `sluice pipeline cancel | rerun`: what tkn users reach for once a run is going (or gone).
 *
 * - `cancel RUN` writes `spec.status: Cancelled` (running tasks are stopped, finally does not
 *   run); `--graceful` writes `CancelledRunFinally` (running tasks stopped, then finally runs);
 *   `--grace MODE` takes Tekton's names, StoppedRunFinally included (running tasks finish, no new
 *   ones start, then finally). Exit 1 when the run is already over, 3 when it does not exist.
 * - `rerun RUN` creates a new PipelineRun with the same spec and params (`-p` overrides one),
 *   annotated `sluice.dev/rerun-of: RUN`, and then behaves like `start`.
 */
import { Command, Option } from 'commander';
import { collect, usageError } from '../app/flags.ts';
import { parseParams } from './flags.ts';
import { CANCEL_MODES, cancelPatch, rerunOf, type CancelMode } from './manifest.ts';
import { chooseRun, getPipelineRun, runNotFound, runSpec } from './objects.ts';
import {
  addPipelineOptions,
  addRunArgument,
  FIELD_MANAGER,
  runChoice,
  withPipelineKube,
  type PipelineOptions,
} from './options.ts';
import { addCreateOptions, createAndFollow, type CreateOptions } from './start.ts';

type CancelOptions = PipelineOptions & {
  graceful?: boolean;
  grace?: CancelMode;
  last?: string | boolean;
};

export function cancelCommand(): Command {
  const cmd = new Command('cancel')
    .description(
      'cancel a PipelineRun: its running tasks are stopped within seconds (spec.status: Cancelled); --graceful runs its finally tasks first',
    )
    .option(
      '--graceful',
      'stop the running tasks, then run the finally tasks (CancelledRunFinally)',
    )
    .addOption(
      new Option('--grace <mode>', "Tekton's graceful modes, as tkn's --grace").choices(
        CANCEL_MODES.filter((m) => m !== 'Cancelled'),
      ),
    )
    .addHelpText(
      'after',
      '\nStoppedRunFinally lets running tasks finish, starts no new ones, then runs finally.\n' +
        'Examples:\n  sluice pipeline cancel ci-run-x7k2p -n ci\n  sluice pipeline cancel --last --graceful',
    );
  addRunArgument(cmd);
  addPipelineOptions(cmd);
  return cmd.action(async (arg: string | undefined, o: CancelOptions) => {
    const choice = runChoice(arg, o);
    if (o.graceful && o.grace) throw usageError('give --graceful or --grace, not both');
    const mode: CancelMode = o.grace ?? (o.graceful ? 'CancelledRunFinally' : 'Cancelled');
    await withPipelineKube(o, async (kube, namespace) => {
      const name = await chooseRun(kube, namespace, choice);
      const run = await getPipelineRun(kube, namespace, name);
      if (!run) throw runNotFound(namespace, name);
      const patch = cancelPatch(run, mode);
      if (patch) await kube.mergePatch(run, patch, { fieldManager: FIELD_MANAGER });
      const said = patch ? `cancelled (${mode})` : `already being cancelled (${mode})`;
      process.stderr.write(`• PipelineRun/${namespace}/${name} ${said}\n`);
    });
  });
}

type RerunOptions = PipelineOptions & CreateOptions & { param: string[]; last?: string | boolean };

export function rerunCommand(): Command {
  const cmd = new Command('rerun')
    .description(
      'run a PipelineRun again: a new PipelineRun with the same spec, params and workspaces (-p changes a param)',
    )
    .option('-p, --param <name=value>', 'a param to change (repeat)', collect, [])
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline rerun ci-run-x7k2p --showlog\n  sluice pipeline rerun --last ci -p version=1.2.4',
    );
  addRunArgument(cmd);
  addCreateOptions(cmd);
  addPipelineOptions(cmd);
  return cmd.action(async (arg: string | undefined, o: RerunOptions) => {
    const choice = runChoice(arg, o);
    await withPipelineKube(o, async (kube, namespace) => {
      const name = await chooseRun(kube, namespace, choice);
      const run = await getPipelineRun(kube, namespace, name);
      if (!run) throw runNotFound(namespace, name);
      const spec = o.param.length > 0 ? await runSpec(kube, run) : undefined;
      const params =
        o.param.length > 0 ? parseParams(o.param, spec?.params, run.spec.params) : undefined;
      await createAndFollow(kube, rerunOf(run, params), o);
    });
  });
}
