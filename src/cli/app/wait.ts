/**
 * `sluice app wait | terminate-op`: wait until an app is Synced, Healthy and/or has no operation
 * in progress (exit 4 on timeout); stop the operation in progress, as `argocd app terminate-op`
 * does (it asks the controller by setting the operation's phase to Terminating).
 */
import { Command } from 'commander';
import type { Application } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { addClusterOptions, statusColor, withKube, type GlobalOptions } from '../context.ts';
import { getApp, shortSha, waitFor } from './common.ts';
import { addControllerOption, warnIfNoController, type ControllerOptions } from './presence.ts';
import { parseSeconds } from './flags.ts';

type WaitOptions = GlobalOptions &
  ControllerOptions & {
    sync?: boolean;
    health?: boolean;
    operation?: boolean;
    timeout: number;
  };

/** No operation asked for, and none running or stopping. */
export const operationDone = (a: Application): boolean => {
  const phase = a.status?.operationState?.phase;
  return a.operation === undefined && phase !== 'Running' && phase !== 'Terminating';
};

/** What the wait is for, and when it is reached. */
function goal(o: WaitOptions): { what: string; done: (a: Application) => boolean } {
  const all = !o.sync && !o.health && !o.operation;
  const sync = o.sync || all;
  const health = o.health || all;
  const what = [
    sync ? 'Synced' : '',
    health ? 'Healthy' : '',
    o.operation ? 'done with its operation' : '',
  ].filter(Boolean);
  return {
    what: what.join(' and '),
    done: (a) =>
      (!sync || a.status?.sync?.status === 'Synced') &&
      (!health || a.status?.health?.status === 'Healthy') &&
      (!o.operation || operationDone(a)),
  };
}

function operationNote(a: Application): string {
  if (a.operation) return ' (operation requested)';
  const phase = a.status?.operationState?.phase;
  return phase === 'Running' || phase === 'Terminating' ? ` (operation ${phase})` : '';
}

function progressLine(a: Application): string {
  const s = a.status;
  const health = `${s?.health?.status ?? 'Unknown'}${s?.health?.message ? `: ${s.health.message}` : ''}`;
  return `${s?.sync?.status ?? 'Unknown'} / ${health}${operationNote(a)}`;
}

export function waitCommand(): Command {
  const cmd = new Command('wait')
    .description('wait until an Application is Synced, Healthy, or done with its operation')
    .argument('<name>')
    .option('--sync', 'wait for Synced')
    .option('--health', 'wait for Healthy')
    .option('--operation', 'wait until no operation is requested or running')
    .option('--timeout <seconds>', 'give up after this long (exit 4)', parseSeconds, 300)
    .addHelpText(
      'after',
      '\nWithout --sync, --health or --operation it waits for Synced and Healthy.\n' +
        'Example:\n  sluice app wait guestbook --sync --health --timeout 60',
    );
  addClusterOptions(cmd);
  addControllerOption(cmd);
  return cmd.action(async (name: string, o: WaitOptions) => {
    const { what, done } = goal(o);
    await withKube(o, async (kube) => {
      await warnIfNoController(kube, o.controllerNamespace, 'nothing changes until one runs');
      let last = '';
      const app = await waitFor(kube, o.appNamespace, name, {
        what: `${name} to be ${what}`,
        timeoutSeconds: o.timeout,
        done,
        onChange: (a) => {
          const line = progressLine(a);
          if (line !== last) process.stderr.write(`  ${line}\n`);
          last = line;
        },
      });
      const op = app.status?.operationState;
      process.stderr.write(
        `• ${name}: ${statusColor(app.status?.sync?.status)} ${statusColor(app.status?.health?.status)} at ${shortSha(app.status?.sync?.revision)}` +
          (o.operation && op ? `; last operation ${statusColor(op.phase)}` : '') +
          '\n',
      );
    });
  });
}

type Stopped = { terminating: string } | { withdrawn: string };

/** Takes back a request no controller has started yet (guarded by the resourceVersion). */
async function withdrawRequest(kube: Kube, app: Application): Promise<Stopped> {
  await kube.mergePatch(app, {
    metadata: { resourceVersion: app.metadata.resourceVersion },
    operation: null,
  });
  return { withdrawn: app.operation?.requestedAt ?? '' };
}

/**
 * Sets the running operation's phase to Terminating; the controller stops it. A request that
 * no controller has started yet is withdrawn instead. Guarded by the resourceVersion, re-read on
 * conflict: an operation that ended meanwhile is not "terminated".
 */
async function terminate(kube: Kube, namespace: string, name: string): Promise<Stopped> {
  for (let attempt = 1; ; attempt++) {
    const app = await getApp(kube, namespace, name);
    const op = app.status?.operationState;
    const running = op?.phase === 'Running';
    if (!running && !app.operation) {
      throw new SluiceError('NoOperation', `no operation is running for ${name}`, {
        hint: op ? `its last operation ended ${op.phase}` : 'it has not run an operation yet',
      });
    }
    try {
      if (!running) return await withdrawRequest(kube, app);
      await kube.mergePatch(
        app,
        {
          metadata: { resourceVersion: app.metadata.resourceVersion },
          status: { operationState: { phase: 'Terminating' } },
        },
        { subresource: 'status' },
      );
      return { terminating: op.startedAt };
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
    }
  }
}

export function terminateOpCommand(): Command {
  const cmd = new Command('terminate-op')
    .description('stop the operation (sync, rollback) an Application is running')
    .argument('<name>')
    .addHelpText(
      'after',
      '\nThe controller stops at its next step and marks the operation Failed. A sync requested but\n' +
        'not started yet (no controller running) is withdrawn.\n' +
        'Example:\n  sluice app terminate-op guestbook && sluice app wait guestbook --operation',
    );
  addClusterOptions(cmd);
  addControllerOption(cmd);
  return cmd.action(async (name: string, o: GlobalOptions & ControllerOptions) => {
    await withKube(o, async (kube) => {
      const stopped = await terminate(kube, o.appNamespace, name);
      if ('withdrawn' in stopped) {
        process.stderr.write(
          `• ${name}: the sync requested at ${stopped.withdrawn} was withdrawn\n`,
        );
        return;
      }
      process.stderr.write(`• ${name}: operation started ${stopped.terminating} is terminating\n`);
      await warnIfNoController(
        kube,
        o.controllerNamespace,
        'it stops when a controller runs again',
      );
    });
  });
}
