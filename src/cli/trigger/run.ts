/**
 * `sluice trigger run NAME [--revision REV] [--branch B | --tag T]`: start the Trigger's
 * PipelineRun by hand for a commit. The CLI writes a request (an id, the revision, the ref) into
 * the Trigger's `sluice.dev/run-request` annotation; the controller resolves the revision in its
 * mirror, starts the run (no path filter; the concurrency policy applies; one run per request)
 * and answers in `status.lastRequest`, which this command waits for. No controller holding the
 * Lease: it says so at once, and gives up after 10 s (NoController).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import {
  RUN_REQUEST_ANNOTATION,
  type RunRequest,
  type TriggerRequestStatus,
} from '../../api/trigger.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { username } from '../app/common.ts';
import { usageError } from '../app/flags.ts';
import { addControllerOption, ControllerWatch, type ControllerOptions } from '../app/presence.ts';
import { positiveInt } from '../pipeline/flags.ts';
import {
  addPipelineOptions,
  FIELD_MANAGER,
  withPipelineKube,
  type PipelineOptions,
} from '../pipeline/options.ts';
import { getTrigger } from './read.ts';

type RunOptions = PipelineOptions &
  ControllerOptions & {
    revision: string;
    branch?: string;
    tag?: string;
    timeout: number;
    wait: boolean;
  };

/** The ref the run is for, from --branch / --tag (usage error for both). */
export function refOption(o: { branch?: string; tag?: string }): string | undefined {
  if (o.branch && o.tag) throw usageError('give --branch or --tag, not both');
  if (o.branch) return `refs/heads/${o.branch}`;
  if (o.tag) return `refs/tags/${o.tag}`;
  return undefined;
}

async function waitAnswer(
  kube: Kube,
  namespace: string,
  name: string,
  id: string,
  o: RunOptions,
): Promise<TriggerRequestStatus> {
  const watch = new ControllerWatch(kube, o.controllerNamespace, `the run request ${id}`);
  const deadline = Date.now() + o.timeout * 1000;
  for (;;) {
    const t = await getTrigger(kube, namespace, name);
    const answer = t.status?.lastRequest;
    if (answer?.id === id) return answer;
    await watch.check(false);
    if (Date.now() > deadline) {
      watch.throwIfMissing(false);
      throw new SluiceError(
        'Timeout',
        `Trigger/${namespace}/${name}: timed out after ${o.timeout}s waiting for the controller to answer the run request ${id}`,
        {
          exitCode: 4,
          hint: `raise --timeout, or see \`sluice trigger get ${name} -n ${namespace}\``,
        },
      );
    }
    await sleep(250);
  }
}

function failed(namespace: string, name: string, a: TriggerRequestStatus): SluiceError {
  const hints: Record<string, string> = {
    RevisionNotFound: 'give a branch, a tag or a commit SHA of the repository',
    PipelineNotFound: `create the Pipeline the Trigger names (\`sluice trigger get ${name} -n ${namespace}\`)`,
  };
  return new SluiceError(
    a.reason ?? 'RunFailed',
    `Trigger/${namespace}/${name}: no run started: ${a.error ?? 'unknown error'}`,
    {
      ...(a.reason && hints[a.reason] ? { hint: hints[a.reason] } : {}),
      exitCode: a.reason === 'RevisionNotFound' ? 3 : 1,
    },
  );
}

async function requestRun(name: string, o: RunOptions): Promise<void> {
  const ref = refOption(o);
  await withPipelineKube(o, async (kube, namespace) => {
    const t = await getTrigger(kube, namespace, name);
    const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const request: RunRequest = {
      id,
      revision: o.revision,
      ...(ref ? { ref } : {}),
      by: username(),
    };
    await kube.mergePatch(
      t,
      { metadata: { annotations: { [RUN_REQUEST_ANNOTATION]: JSON.stringify(request) } } },
      { fieldManager: FIELD_MANAGER },
    );
    if (!o.wait) {
      process.stdout.write(`requested ${id}: the controller starts the run\n`);
      return;
    }
    const a = await waitAnswer(kube, namespace, name, id, o);
    if (a.error || !a.run) throw failed(namespace, name, a);
    process.stdout.write(
      `pipelinerun/${a.run} started for ${(a.commit ?? '').slice(0, 7)}\n` +
        `  follow it: sluice pipeline get ${a.run} -n ${namespace} -w\n`,
    );
  });
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description(
      "start the Trigger's PipelineRun by hand for a commit (no path filter; the concurrency policy applies)",
    )
    .argument('<trigger>', 'the Trigger')
    .option('-r, --revision <rev>', 'a branch, tag or commit SHA of the repository', 'HEAD')
    .option('--branch <branch>', 'the run is for this branch ($(trigger.branch), concurrency)')
    .option('--tag <tag>', 'the run is for this tag')
    .option(
      '--timeout <seconds>',
      'how long to wait for the controller',
      positiveInt('--timeout'),
      60,
    )
    .addOption(new Option('--no-wait', 'ask, and do not wait for the answer'))
    .addHelpText(
      'after',
      "\nWithout --branch/--tag the run is for the revision's own branch or tag, and for a SHA the default branch.\n" +
        'Exit codes: 0 started, 1 failed (no controller, Pipeline missing), 2 bad usage, 3 not found, 4 timed out.\n' +
        'Examples:\n  sluice trigger run ci -n team                       # the tip of the default branch\n' +
        '  sluice trigger run ci --revision 3f2a9c1 --branch main\n  sluice trigger run release --revision v1.2.3',
    );
  addPipelineOptions(cmd);
  addControllerOption(cmd);
  return cmd.action((name: string, o: RunOptions) => requestRun(name, o));
}
