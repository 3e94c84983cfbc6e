/**
 * `sluice pipeline start PIPELINE -p k=v -w name=shared,emptyDir= [--showlog | --wait]`: creates
 * a PipelineRun (`generateName: <pipeline>-run-`) and prints its name, with tkn's flags. Params
 * are typed and checked against the Pipeline, and its workspaces must all be bound, before
 * anything is created (exit 2 otherwise). `--showlog` follows the run's logs and `--wait` waits
 * for it: both exit 0 when it succeeds, 1 when it fails or is cancelled.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Param, PipelineRun, PipelineSpec, WorkspaceBinding } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { collect, usageError } from '../app/flags.ts';
import { showRunLogs, interruptible } from './logs.ts';
import { startRun, type NewPipelineRun, type StartInput } from './manifest.ts';
import { getPipeline, getPipelineRun, runNotFound, runSpec, slim, taskRunsOf } from './objects.ts';
import {
  addPipelineOptions,
  databaseUrlOption,
  FIELD_MANAGER,
  withPipelineKube,
  type PipelineOptions,
  type StoreOptions,
} from './options.ts';
import {
  parseLabels,
  parseParams,
  parsePodTemplate,
  parseWorkspace,
  unboundWorkspaces,
} from './flags.ts';
import { runFailed, waitForRun } from './watch.ts';
import { runState, runView } from './view.ts';

export type StartOptions = PipelineOptions &
  StoreOptions & {
    param: string[];
    workspace: string[];
    labels: string[];
    serviceaccount?: string;
    podTemplate?: string;
    timeout?: string;
    tasksTimeout?: string;
    finallyTimeout?: string;
    prefixName?: string;
    showlog?: boolean;
    wait?: boolean;
    dryRun?: boolean;
    output: 'name' | 'json' | 'yaml';
  };

/** What happens once the run is made: printing it, following it. */
export type CreateOptions = StoreOptions &
  Pick<StartOptions, 'showlog' | 'wait' | 'dryRun' | 'output'>;

/** --showlog, --wait, --dry-run, -o: for every command that creates a run. */
export function addCreateOptions(cmd: Command): Command {
  return cmd
    .option('--showlog', "follow the run's logs; exit 0 if it succeeds, 1 if not")
    .option('--wait', 'wait until the run is over; exit 0 if it succeeds, 1 if not')
    .option('--dry-run', 'print the PipelineRun instead of creating it')
    .addOption(
      new Option(
        '-o, --output <format>',
        'what to print: the name, or the created run as json|yaml',
      )
        .choices(['name', 'json', 'yaml'])
        .default('name'),
    )
    .addOption(databaseUrlOption());
}

/** The flags `start` and `run -f` share. */
export function addStartOptions(cmd: Command): Command {
  cmd
    .option(
      '-p, --param <name=value>',
      'a param (repeat; arrays: a,b,c; objects: k:v,k2:v2)',
      collect,
      [],
    )
    .option(
      '-w, --workspace <binding>',
      'bind a workspace (repeat): name=shared,emptyDir= | claimName=PVC | config=CM | secret=S | volumeClaimTemplateFile=FILE [,subPath=DIR]',
      collect,
      [],
    )
    .option(
      '-l, --labels <key=value>',
      'a label for the PipelineRun and its TaskRuns (repeat)',
      collect,
      [],
    )
    .option('-s, --serviceaccount <name>', 'the service account the task pods run as')
    .option(
      '--pod-template <file>',
      'a YAML pod template for the task pods (nodeSelector, tolerations, ...)',
    )
    .option(
      '--timeout <duration>',
      'the whole run may take this long (Go duration: 1h30m; 0: no limit)',
    )
    .option('--tasks-timeout <duration>', 'the tasks (not finally) may take this long')
    .option('--finally-timeout <duration>', 'the finally tasks may take this long')
    .option('--showlog', "follow the run's logs; exit 0 if it succeeds, 1 if not")
    .option('--wait', 'wait until the run is over; exit 0 if it succeeds, 1 if not')
    .option('--dry-run', 'print the PipelineRun instead of creating it')
    .addOption(
      new Option(
        '-o, --output <format>',
        'what to print: the name, or the created run as json|yaml',
      )
        .choices(['name', 'json', 'yaml'])
        .default('name'),
    )
    .addOption(databaseUrlOption());
  return addPipelineOptions(cmd);
}

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
};

/** What the flags say, checked against the spec that will run (when known). */
export function startInput(
  o: StartOptions,
  pipeline: string,
  namespace: string,
  spec: PipelineSpec | undefined,
  base: { params?: Param[]; workspaces?: WorkspaceBinding[] } = {},
): StartInput {
  const params = parseParams(o.param, spec?.params, base.params);
  const given = o.workspace.map((w) => parseWorkspace(w, read));
  const workspaces = [
    ...(base.workspaces ?? []).filter((b) => !given.some((g) => g.name === b.name)),
    ...given,
  ];
  const unbound = unboundWorkspaces(spec?.workspaces, workspaces);
  if (unbound.length > 0)
    throw usageError(
      `workspace${unbound.length > 1 ? 's' : ''} ${unbound.join(', ')} not bound`,
      `bind with ${unbound.map((w) => `-w name=${w},emptyDir=`).join(' ')} (or claimName=, volumeClaimTemplateFile=, ...)`,
    );
  return {
    pipeline,
    namespace,
    params,
    workspaces,
    podTemplate: o.podTemplate ? parsePodTemplate(read(o.podTemplate), o.podTemplate) : undefined,
    serviceAccount: o.serviceaccount,
    timeouts: {
      ...(o.timeout ? { pipeline: o.timeout } : {}),
      ...(o.tasksTimeout ? { tasks: o.tasksTimeout } : {}),
      ...(o.finallyTimeout ? { finally: o.finallyTimeout } : {}),
    },
    labels: parseLabels(o.labels),
    prefix: o.prefixName,
  };
}

/** After this long without a status, nothing runs pipelines for this namespace, most likely. */
export const UNCLAIMED_AFTER_MS = 10_000;

/**
 * Says once, after UNCLAIMED_AFTER_MS, when no controller has written the run's status: a
 * person waiting on --showlog / --wait learns why nothing happens instead of staring at it.
 */
function warnIfUnclaimed(kube: Kube, run: PipelineRun, signal: AbortSignal): NodeJS.Timeout {
  const { name, namespace } = run.metadata;
  return setTimeout(() => {
    void getPipelineRun(kube, namespace, name)
      .then((now) => {
        if (signal.aborted || !now || now.status?.conditions?.length) return;
        process.stderr.write(
          `! nothing has picked PipelineRun/${namespace}/${name} up after ${UNCLAIMED_AFTER_MS / 1000} s: ` +
            `is \`sluice controller\` running (without --no-pipelines) and watching namespace ${namespace}? ` +
            'The run starts as soon as one is; Ctrl-C stops waiting and leaves it.\n',
        );
      })
      .catch(() => undefined);
  }, UNCLAIMED_AFTER_MS).unref();
}

/**
 * Creates the run (or prints it with --dry-run), says so, and with --showlog / --wait stays
 * until it is over: exit 0 when it succeeded, 1 when not.
 */
export async function createAndFollow(
  kube: Kube,
  run: NewPipelineRun,
  o: CreateOptions,
): Promise<void> {
  if (o.showlog && o.wait)
    throw usageError('--showlog already waits; give one of --showlog, --wait');
  if (o.dryRun) {
    process.stdout.write(
      o.output === 'json' ? `${JSON.stringify(run, null, 2)}\n` : stringify(run),
    );
    return;
  }
  const created = await kube.create<PipelineRun>(run, { fieldManager: FIELD_MANAGER });
  const { name, namespace } = created.metadata;
  if (o.output === 'name') process.stdout.write(`${name}\n`);
  else if (o.output === 'json') process.stdout.write(`${JSON.stringify(slim(created), null, 2)}\n`);
  else process.stdout.write(stringify(slim(created)));
  process.stderr.write(`• PipelineRun/${namespace}/${name} created\n`);
  if (!o.showlog && !o.wait) {
    process.stderr.write(`  follow it: sluice pipeline logs ${name} -f -n ${namespace}\n`);
    return;
  }
  const { signal, done } = interruptible();
  const unclaimed = warnIfUnclaimed(kube, created, signal);
  try {
    if (o.showlog) await showRunLogs(kube, created, { ...o, follow: true }, signal);
    else await waitForRun(kube, namespace, name, signal);
  } finally {
    clearTimeout(unclaimed);
    done();
  }
  if (signal.aborted) return;
  const final = await getPipelineRun(kube, namespace, name);
  if (!final) throw runNotFound(namespace, name);
  const s = runState(final);
  if (s.state !== 'Succeeded') {
    const [taskRuns, spec] = await Promise.all([taskRunsOf(kube, final), runSpec(kube, final)]);
    throw runFailed(runView(final, taskRuns, spec, new Date()));
  }
  process.stderr.write(
    `• PipelineRun/${namespace}/${name} ${s.state}${s.reason && s.reason !== s.state ? ` (${s.reason})` : ''}\n`,
  );
}

export function startCommand(): Command {
  const cmd = new Command('start')
    .description(
      'run a Pipeline: create a PipelineRun with these params and workspaces, and print its name',
    )
    .argument('<pipeline>', 'the Pipeline')
    .option('--prefix-name <prefix>', 'the run name prefix (default: <pipeline>-run-)')
    .option('--use-param-defaults', 'accepted for tkn users: declared defaults are always used')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline start ci -p version=1.2.3 -w name=shared,emptyDir= --showlog\n' +
        '  sluice pipeline start ci -p files=a.txt,b.txt -w name=src,volumeClaimTemplateFile=pvc.yaml\n' +
        '  run=$(sluice pipeline start ci -p version=2) && sluice pipeline get "$run" -w',
    );
  addStartOptions(cmd);
  return cmd.action(async (pipeline: string, o: StartOptions) => {
    await withPipelineKube(o, async (kube, namespace) => {
      const p = await getPipeline(kube, namespace, pipeline);
      await createAndFollow(kube, startRun(startInput(o, pipeline, namespace, p.spec)), o);
    });
  });
}
