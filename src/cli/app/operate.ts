/** `sluice app sync | wait | rollback | set | delete`: commands that change or wait on an app. */
import { Command } from 'commander';
import type { Application } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { FINALIZER } from '../../gitops/annotations.ts';
import { addClusterOptions, bold, statusColor, withKube, type GlobalOptions } from '../context.ts';
import { appRef, getApp, shortSha, username, waitFor } from './common.ts';

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new SluiceError('BadFlag', `--timeout must be a positive number of seconds, got "${v}"`, {
      exitCode: 2,
    });
  return n;
};

/** Prints each new step of a running operation. */
function operationPrinter(): (app: Application) => void {
  let last = '';
  return (app) => {
    const op = app.status?.operationState;
    const line = op ? `${op.phase}: ${op.message ?? ''}` : 'waiting for the controller';
    if (line !== last) process.stderr.write(`  ${line}\n`);
    last = line;
  };
}

function printResult(app: Application): void {
  const op = app.status?.operationState;
  for (const r of op?.syncResult?.resources ?? []) {
    const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
    const where = r.namespace ? `${r.namespace}/` : '';
    process.stdout.write(
      `${r.action.padEnd(12)} ${kind}/${where}${r.name}${r.hook ? ` (${r.hook} hook)` : ''}${r.action === 'failed' ? `: ${r.message ?? ''}` : ''}\n`,
    );
  }
  process.stderr.write(`• ${statusColor(op?.phase)} ${op?.message ?? ''}\n`);
}

/** Asks the controller to sync (optionally to a revision) and waits for the result. */
async function requestSync(
  o: GlobalOptions & { timeout: number; async?: boolean },
  name: string,
  sync: NonNullable<Application['operation']>['sync'],
): Promise<void> {
  await withKube(o, async (kube) => {
    const before = await getApp(kube, o.appNamespace, name);
    const requestedAt = new Date().toISOString();
    await kube.mergePatch(appRef(o.appNamespace, name), {
      operation: { sync, initiatedBy: { username: username() }, requestedAt },
    });
    process.stderr.write(
      `• sync of ${o.appNamespace}/${name} requested${sync?.revision ? ` at ${shortSha(sync.revision)}` : ''}\n`,
    );
    if (o.async) return;
    const startedBefore = before.status?.operationState?.startedAt ?? '';
    const app = await waitFor(
      kube,
      o.appNamespace,
      name,
      'the sync to finish',
      o.timeout,
      (a) =>
        a.operation === undefined &&
        (a.status?.operationState?.startedAt ?? '') !== startedBefore &&
        a.status?.operationState?.phase !== 'Running',
      operationPrinter(),
    );
    printResult(app);
    if (app.status?.operationState?.phase !== 'Succeeded') process.exitCode = 1;
  });
}

export function syncCommand(): Command {
  const cmd = new Command('sync')
    .description('sync an Application now and wait for the result (exit 1 if it fails)')
    .argument('<name>')
    .option('--revision <rev>', 'sync to this commit, branch or tag instead of the target revision')
    .option('--prune', 'delete what left Git')
    .option('--timeout <seconds>', 'give up waiting after this long', seconds, 300)
    .option('--async', 'do not wait for the result');
  addClusterOptions(cmd);
  return cmd.action(
    async (
      name: string,
      o: GlobalOptions & { revision?: string; prune?: boolean; timeout: number; async?: boolean },
    ) => {
      await requestSync(o, name, {
        ...(o.revision ? { revision: o.revision } : {}),
        ...(o.prune ? { prune: true } : {}),
      });
    },
  );
}

export function waitCommand(): Command {
  const cmd = new Command('wait')
    .description('wait until an Application is Synced and/or Healthy (exit 4 on timeout)')
    .argument('<name>')
    .option('--sync', 'wait for Synced')
    .option('--health', 'wait for Healthy')
    .option('--timeout <seconds>', 'give up after this long', seconds, 300)
    .addHelpText(
      'after',
      '\nWithout --sync or --health it waits for both.\nExample: sluice app wait guestbook --sync --health --timeout 60',
    );
  addClusterOptions(cmd);
  return cmd.action(
    async (
      name: string,
      o: GlobalOptions & { sync?: boolean; health?: boolean; timeout: number },
    ) => {
      const both = !o.sync && !o.health;
      await withKube(o, async (kube) => {
        let last = '';
        const app = await waitFor(
          kube,
          o.appNamespace,
          name,
          `${name} to be ${[o.sync || both ? 'Synced' : '', o.health || both ? 'Healthy' : ''].filter(Boolean).join(' and ')}`,
          o.timeout,
          (a) =>
            (!(o.sync || both) || a.status?.sync?.status === 'Synced') &&
            (!(o.health || both) || a.status?.health?.status === 'Healthy'),
          (a) => {
            const line = `${a.status?.sync?.status ?? 'Unknown'} / ${a.status?.health?.status ?? 'Unknown'}${a.status?.health?.message ? `: ${a.status.health.message}` : ''}`;
            if (line !== last) process.stderr.write(`  ${line}\n`);
            last = line;
          },
        );
        process.stderr.write(
          `• ${name}: ${statusColor(app.status?.sync?.status)} ${statusColor(app.status?.health?.status)} at ${shortSha(app.status?.sync?.revision)}\n`,
        );
      });
    },
  );
}

export function rollbackCommand(): Command {
  const cmd = new Command('rollback')
    .description(
      're-apply an earlier revision from history; pauses automated sync until you resume it',
    )
    .argument('<name>')
    .argument('[id]', 'history id (default: the one before the current)')
    .option('--timeout <seconds>', 'give up waiting after this long', seconds, 300);
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, id: string | undefined, o: GlobalOptions & { timeout: number }) => {
      const app = await withKube(o, (kube) => getApp(kube, o.appNamespace, name));
      const history = app.status?.history ?? [];
      const entry = id === undefined ? history.at(-2) : history.find((h) => String(h.id) === id);
      if (!entry) {
        throw new SluiceError(
          'HistoryNotFound',
          `${o.appNamespace}/${name} has no history entry ${id ?? '(previous)'}`,
          {
            hint: `see \`sluice app history ${name}\` for the ids`,
            exitCode: 3,
          },
        );
      }
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
    },
  );
}

export function setCommand(): Command {
  const cmd = new Command('set')
    .description('change an Application’s sync policy')
    .argument('<name>')
    .option('--auto-sync', 'turn automated sync on (also after a rollback paused it)')
    .option('--no-auto-sync', 'pause automated sync')
    .option('--self-heal', 'revert changes made in the cluster')
    .option('--no-self-heal', 'leave changes made in the cluster (show them as OutOfSync)')
    .option('--auto-prune', 'delete what left Git')
    .option('--no-auto-prune', 'keep what left Git (show it as needing pruning)');
  addClusterOptions(cmd);
  return cmd.action(
    async (
      name: string,
      o: GlobalOptions & { autoSync?: boolean; selfHeal?: boolean; autoPrune?: boolean },
    ) => {
      const automated: Record<string, boolean> = {};
      if (o.autoSync !== undefined) automated['enabled'] = o.autoSync;
      if (o.selfHeal !== undefined) automated['selfHeal'] = o.selfHeal;
      if (o.autoPrune !== undefined) automated['prune'] = o.autoPrune;
      if (Object.keys(automated).length === 0)
        throw new SluiceError('BadFlag', 'nothing to set', {
          exitCode: 2,
          hint: 'see `sluice app set --help`',
        });
      await withKube(o, async (kube) => {
        await getApp(kube, o.appNamespace, name);
        await kube.mergePatch(appRef(o.appNamespace, name), {
          spec: { syncPolicy: { automated } },
        });
      });
      process.stderr.write(
        `• ${name}: ${Object.entries(automated)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}\n`,
      );
    },
  );
}

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description('delete an Application; with --cascade, prune every resource it manages first')
    .argument('<name>')
    .option('--cascade', 'delete the resources the app manages too')
    .option('--timeout <seconds>', 'give up waiting after this long', seconds, 120);
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, o: GlobalOptions & { cascade?: boolean; timeout: number }) => {
      await withKube(o, async (kube) => {
        const app = await getApp(kube, o.appNamespace, name);
        const finalizers = new Set(app.metadata.finalizers ?? []);
        if (o.cascade) finalizers.add(FINALIZER);
        else finalizers.delete(FINALIZER);
        await kube.mergePatch(app, { metadata: { finalizers: [...finalizers] } });
        await kube.delete(app);
        process.stderr.write(
          `• deleting ${o.appNamespace}/${name}${o.cascade ? ' and the resources it manages' : ' (its resources stay)'}\n`,
        );
        const deadline = Date.now() + o.timeout * 1000;
        while (await kube.get(app.apiVersion, app.kind, o.appNamespace, name)) {
          if (Date.now() > deadline) {
            throw new SluiceError(
              'Timeout',
              `${o.appNamespace}/${name} is still being deleted after ${o.timeout}s`,
              {
                exitCode: 4,
                hint: 'cascading deletion is done by the controller: is `sluice controller` running? `sluice app get` shows why it waits',
              },
            );
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        process.stderr.write(`• deleted ${o.appNamespace}/${name}\n`);
      });
    },
  );
}
