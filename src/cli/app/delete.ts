/**
 * `sluice app delete`, as `argocd app delete`: cascades by default (the controller prunes every
 * object the app manages, then lets the Application go), asks first on a terminal (`-y` skips;
 * without a terminal and without `-y` it refuses), and with `--cascade=false` removes the
 * finalizer first so the Application goes at once and its objects stay. While the controller
 * prunes, it prints what the app's conditions say (progress such as "deleting: 3120/5000").
 */
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import type { Application } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { FINALIZER, isCascadeFinalizer } from '../../gitops/annotations.ts';
import { inventorySize } from '../../gitops/inventory.ts';
import type { Kube } from '../../kube/api.ts';
import { addClusterOptions, withKube, type GlobalOptions } from '../context.ts';
import { getApp } from './common.ts';
import { parseSeconds, usageError } from './flags.ts';
import { addControllerOption, ControllerWatch, type ControllerOptions } from './presence.ts';

type DeleteOptions = GlobalOptions &
  ControllerOptions & { cascade: boolean; yes?: boolean; timeout: number };

/** `--cascade`, `--cascade=true|false` (argocd's spelling) and `--no-cascade`. */
export function parseCascade(v: string | undefined): boolean {
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw usageError(
    `--cascade takes true or false, got "${v}"`,
    'write --cascade=false (or --no-cascade) to keep the resources; put the flag after the name',
  );
}

/** How many objects the app manages, as its status counts them. */
const managedCount = (app: Application): number =>
  inventorySize(app.status) || (app.status?.summary?.total ?? app.status?.resources?.length ?? 0);

/** What happens to the objects a --cascade=false delete leaves (tested in test/e2e/cli-delete). */
export const LEFT_BEHIND = [
  'Objects left by --cascade=false keep their tracking id. A new Application with the same name',
  'adopts them: those in its manifests are taken over in place (not re-created), the others show',
  'as needing pruning and go with its next pruning sync. An Application with another name adopts',
  'them too, since the app that tracked them no longer exists.',
].join('\n');

/** Asks on the terminal; without one, refuses unless -y was given. */
async function confirm(app: Application, cascade: boolean): Promise<boolean> {
  const where = `${app.metadata.namespace}/${app.metadata.name}`;
  if (!process.stdin.isTTY) {
    throw new SluiceError(
      'ConfirmationRequired',
      `not deleting ${where} without confirmation: stdin is not a terminal`,
      { hint: 'pass -y (--yes) to delete without asking', exitCode: 2 },
    );
  }
  const what = cascade
    ? `and the ${managedCount(app)} object(s) it manages`
    : '(its objects stay: --cascade=false)';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Delete Application ${where} ${what}? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The line to print about a deletion in progress: the controller's own words when it has some
 * (Reconciling=True, or Ready=False, e.g. "deleting: 3120/5000 objects" or PruneFailed).
 */
export function progressLine(app: Application): string {
  const conditions = app.status?.conditions ?? [];
  const c =
    conditions.find((x) => x.type === 'Reconciling' && x.status === 'True' && x.message) ??
    conditions.find((x) => x.type === 'Ready' && x.status === 'False' && x.message);
  return c ? `${c.reason ?? c.type}: ${c.message ?? ''}` : 'waiting for the controller to prune';
}

/** Waits until the Application is gone, printing each new progress line. */
async function waitGone(kube: Kube, deleted: Application, o: DeleteOptions): Promise<void> {
  const { namespace = '', name = '' } = deleted.metadata;
  const deadline = Date.now() + o.timeout * 1000;
  const watch = new ControllerWatch(
    kube,
    o.controllerNamespace,
    `the deletion of ${namespace}/${name}`,
  );
  watch.hint = `start one with \`sluice controller\` to prune and finish; or let it go without pruning: \`sluice app delete ${name} --cascade=false -y\``;
  let last = '';
  for (;;) {
    const app = await kube.get<Application>(deleted.apiVersion, deleted.kind, namespace, name);
    if (!app) return;
    const line = progressLine(app);
    if (line !== last) process.stderr.write(`  ${line}\n`);
    last = line;
    await watch.check(app.metadata.resourceVersion !== deleted.metadata.resourceVersion);
    if (Date.now() > deadline) {
      watch.throwIfMissing(app.metadata.resourceVersion !== deleted.metadata.resourceVersion);
      throw new SluiceError(
        'Timeout',
        `${namespace}/${name} is still being deleted after ${o.timeout}s`,
        { exitCode: 4, hint: '`sluice app get` shows why it waits; raise --timeout' },
      );
    }
    await sleep(250);
  }
}

async function deleteApp(kube: Kube, name: string, o: DeleteOptions): Promise<void> {
  const app = await getApp(kube, o.appNamespace, name);
  if (!o.yes && !(await confirm(app, o.cascade))) {
    process.stderr.write(`• not deleted: ${o.appNamespace}/${name}\n`);
    process.exitCode = 1;
    return;
  }
  const finalizers = new Set(app.metadata.finalizers ?? []);
  if (o.cascade) finalizers.add(FINALIZER);
  else for (const f of [...finalizers]) if (isCascadeFinalizer(f)) finalizers.delete(f);
  // Finalizer first, guarded: the controller must never prune what was meant to stay.
  await kube.mergePatch(app, {
    metadata: { resourceVersion: app.metadata.resourceVersion, finalizers: [...finalizers] },
  });
  await kube.delete(app);
  const deleted = await kube.get<Application>(app.apiVersion, app.kind, o.appNamespace, name);
  if (!o.cascade) {
    process.stderr.write(
      `• deleted ${o.appNamespace}/${name}; its ${managedCount(app)} object(s) stay in the cluster\n`,
    );
    return;
  }
  process.stderr.write(
    `• deleting ${o.appNamespace}/${name} and the ${managedCount(app)} object(s) it manages\n`,
  );
  if (deleted) await waitGone(kube, deleted, o);
  process.stderr.write(`• deleted ${o.appNamespace}/${name}\n`);
}

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description(
      'delete an Application and (by default) every resource it manages; asks first on a terminal',
    )
    .argument('<name>')
    .addOption(
      new Option(
        '--cascade [bool]',
        'prune the resources the app manages, then delete it (default); --cascade=false keeps them',
      )
        .argParser(parseCascade)
        .default(true),
    )
    .addOption(new Option('--no-cascade', 'same as --cascade=false'))
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option(
      '--timeout <seconds>',
      'give up waiting for the pruning after this long',
      parseSeconds,
      300,
    )
    .addHelpText(
      'after',
      '\nWith --cascade (the default) the controller deletes the objects and prints its progress;\n' +
        'without a controller running it says so. With --cascade=false the objects stay, untouched.\n' +
        `${LEFT_BEHIND}\n` +
        'Examples:\n  sluice app delete guestbook            # asks, then prunes everything\n' +
        '  sluice app delete guestbook -y --cascade=false',
    );
  addClusterOptions(cmd);
  addControllerOption(cmd);
  return cmd.action(async (name: string, o: DeleteOptions) => {
    await withKube(o, (kube) => deleteApp(kube, name, o));
  });
}
