/**
 * `sluice app sync | rollback`: ask the controller for an operation (the `operation` field, as
 * Argo CD) and wait for its result. `sync --dry-run` computes here what a sync would do and
 * writes nothing; `sync --resource GROUP:KIND:NAME` syncs only the named objects.
 */
import { Command } from 'commander';
import type { Application, Operation, ResourceResult, SyncResult } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { formatCounts } from '../../gitops/summary.ts';
import { addClusterOptions, bold, statusColor, withKube, type GlobalOptions } from '../context.ts';
import { outputOption, type OutputFormat } from '../output.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { appRef, getApp, shortSha, username, waitFor } from './common.ts';
import {
  addControllerOption,
  ControllerWatch,
  warnIfNoController,
  NoControllerError,
  type ControllerOptions,
} from './presence.ts';
import {
  operationLine,
  ourOperationEnded,
  refuseIfBusy,
  requestTaken,
  stillAsked,
  type SyncAsk,
} from './request.ts';
import { dryRunSync } from './dry-run.ts';
import { collect, parseResourceSelector, parseSeconds, type ResourceSelector } from './flags.ts';
import { addLocalOptions, type LocalOptions } from './local.ts';

type SyncRequest = NonNullable<Operation['sync']>;
type WaitOptions = GlobalOptions & ControllerOptions & { timeout: number; async?: boolean };

/** Prints each new line about the operation: ours once it started, what we wait on before. */
function operationPrinter(ask: SyncAsk): (app: Application) => void {
  let last = '';
  return (app) => {
    const line = operationLine(app, ask);
    if (line !== last) process.stderr.write(`  ${line}\n`);
    last = line;
  };
}

/** "500 of 20000 objects listed: 20000 created" when the status lists only some results. */
function unlisted(result: SyncResult | undefined): string | undefined {
  if (!result?.truncated || result.total === undefined) return undefined;
  return `${result.resources.length} of ${result.total} objects listed: ${formatCounts(result.counts)}`;
}

function resultLine(r: ResourceResult): string {
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  const where = r.namespace ? `${r.namespace}/` : '';
  const hook = r.hook ? ` (${r.hook} hook)` : '';
  const why = r.action === 'failed' ? `: ${r.message ?? ''}` : '';
  return `${r.action.padEnd(12)} ${kind}/${where}${r.name}${hook}${why}\n`;
}

function printResult(app: Application): void {
  const op = app.status?.operationState;
  for (const r of op?.syncResult?.resources ?? []) process.stdout.write(resultLine(r));
  const more = unlisted(op?.syncResult);
  if (more) process.stderr.write(`  (${more})\n`);
  process.stderr.write(`• ${statusColor(op?.phase)} ${op?.message ?? ''}\n`);
}

/** Takes our request back, unless the controller took it up meanwhile. */
async function withdraw(
  kube: Kube,
  namespace: string,
  name: string,
  ask: SyncAsk,
): Promise<boolean> {
  const app = await getApp(kube, namespace, name);
  if (!stillAsked(app, ask)) return false;
  try {
    await kube.mergePatch(app, {
      metadata: { resourceVersion: app.metadata.resourceVersion },
      operation: null,
    });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.conflict) return false;
    throw err;
  }
}

/** Asks the controller to sync (optionally to a revision) and waits for the result. */
export async function requestSync(o: WaitOptions, name: string, sync: SyncRequest): Promise<void> {
  await withKube(o, async (kube) => {
    const before = await getApp(kube, o.appNamespace, name);
    refuseIfBusy(before);
    const ask: SyncAsk = {
      startedBefore: before.status?.operationState?.startedAt ?? '',
      requestedAt: new Date().toISOString(),
      username: username(),
    };
    await kube.mergePatch(appRef(o.appNamespace, name), {
      operation: { sync, initiatedBy: { username: ask.username }, requestedAt: ask.requestedAt },
    });
    const at = sync.revision ? ` at ${shortSha(sync.revision)}` : '';
    const only = sync.resources ? ` of ${sync.resources.length} object(s)` : '';
    process.stderr.write(`• sync${only} of ${o.appNamespace}/${name} requested${at}\n`);
    if (o.async) {
      await warnIfNoController(kube, o.controllerNamespace, 'the request waits until one runs');
      return;
    }
    const watch = new ControllerWatch(
      kube,
      o.controllerNamespace,
      `the sync of ${o.appNamespace}/${name}`,
    );
    const app = await waitFor(kube, o.appNamespace, name, {
      what: 'the sync to finish',
      timeoutSeconds: o.timeout,
      done: (a) => ourOperationEnded(a, ask),
      onChange: operationPrinter(ask),
      controller: { watch, acted: (a) => requestTaken(a, ask) },
    }).catch(async (err: unknown) => {
      if (err instanceof NoControllerError && (await withdraw(kube, o.appNamespace, name, ask)))
        process.stderr.write('  the sync request was withdrawn: nothing will run it later\n');
      throw err;
    });
    printResult(app);
    if (app.status?.operationState?.phase !== 'Succeeded') process.exitCode = 1;
  });
}

type SyncOptions = LocalOptions &
  WaitOptions & {
    prune?: boolean;
    resource: string[];
    dryRun?: boolean;
    output: OutputFormat;
  };

export function syncCommand(): Command {
  const cmd = new Command('sync')
    .description('sync an Application now and wait for the result (exit 1 if it fails)')
    .argument('<name>')
    .option('--prune', 'delete what left Git')
    .option(
      '--resource <GROUP:KIND:NAME>',
      'sync only this object; GROUP:KIND:NAMESPACE/NAME also works, GROUP is empty for core kinds (repeatable)',
      collect,
      [],
    )
    .option('--dry-run', 'show what a sync would do to each object; change nothing')
    .option('--timeout <seconds>', 'give up waiting after this long', parseSeconds, 300)
    .option('--async', 'do not wait for the result')
    .addOption(outputOption().default('table', 'table; with --dry-run'))
    .addHelpText(
      'after',
      '\nExamples:\n  sluice app sync guestbook --prune\n' +
        '  sluice app sync guestbook --resource apps:Deployment:web --resource :ConfigMap:settings\n' +
        '  sluice app sync guestbook --dry-run          # create/configure/prune/unchanged per object',
    );
  // --controller-namespace (from here) also says where the controller's Lease is.
  addLocalOptions(cmd, 'sync to this commit, branch or tag instead of the target revision');
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: SyncOptions) => {
    const selectors: ResourceSelector[] = o.resource.map(parseResourceSelector);
    if (o.dryRun) {
      await withKube(o, (kube) => dryRunSync(kube, name, o, selectors));
      return;
    }
    await requestSync(o, name, {
      ...(o.revision ? { revision: o.revision } : {}),
      ...(o.prune ? { prune: true } : {}),
      ...(selectors.length > 0 ? { resources: selectors } : {}),
    });
  });
}

export function rollbackCommand(): Command {
  const cmd = new Command('rollback')
    .description(
      're-apply an earlier revision from history; pauses automated sync until you resume it',
    )
    .argument('<name>')
    .argument('[id]', 'history id (default: the one before the current)')
    .option('--timeout <seconds>', 'give up waiting after this long', parseSeconds, 300)
    .addHelpText(
      'after',
      '\nExample:\n  sluice app history guestbook && sluice app rollback guestbook 3',
    );
  addClusterOptions(cmd);
  addControllerOption(cmd);
  return cmd.action(async (name: string, id: string | undefined, o: WaitOptions) => {
    const app = await withKube(o, (kube) => getApp(kube, o.appNamespace, name));
    const history = app.status?.history ?? [];
    const entry = id === undefined ? history.at(-2) : history.find((h) => String(h.id) === id);
    if (!entry) {
      throw new SluiceError(
        'HistoryNotFound',
        `${o.appNamespace}/${name} has no history entry ${id ?? '(previous)'}`,
        { hint: `see \`sluice app history ${name}\` for the ids`, exitCode: 3 },
      );
    }
    refuseIfBusy(app);
    if (app.spec.syncPolicy?.automated && app.spec.syncPolicy.automated.enabled !== false) {
      await withKube(o, (kube) =>
        kube.mergePatch(appRef(o.appNamespace, name), {
          spec: { syncPolicy: { automated: { enabled: false } } },
        }),
      );
      process.stderr.write(
        `• ${bold('automated sync of ' + name + ' is now paused')} so the rollback sticks; resume it with \`sluice app set ${name} --auto-sync\`\n`,
      );
    }
    await requestSync(o, name, { revision: entry.revision, historyId: entry.id });
  });
}
