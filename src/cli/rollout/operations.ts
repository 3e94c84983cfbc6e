/**
 * `sluice rollout promote | abort | retry | pause | restart`: each writes what Argo Rollouts'
 * kubectl plugin writes (actions.ts) and says what it did on stderr; the controller does the
 * rest. Exit 1 when there is nothing to do (not paused, not aborted), 3 when the Rollout is not
 * found.
 */
import { Command } from 'commander';
import { usageError } from '../app/flags.ts';
import { abortPlan, pausePlan, promotePlan, restartPlan, retryPlan, type Plan } from './actions.ts';
import type { Rollout } from '../../api/rollout.ts';
import { addRolloutOptions, applyPlan, withRolloutKube, type RolloutOptions } from './options.ts';

type OperationOptions = RolloutOptions & { full?: boolean; in?: number };

function operation(
  name: string,
  description: string,
  example: string,
  plan: (ro: Rollout, o: OperationOptions) => Plan,
): Command {
  const cmd = new Command(name)
    .description(description)
    .argument('<name>', 'the Rollout')
    .addHelpText('after', `\nExample:\n  ${example}`);
  addRolloutOptions(cmd);
  return cmd.action(async (ro: string, o: OperationOptions) => {
    await withRolloutKube(o, async (kube, namespace) => {
      const done = await applyPlan(kube, namespace, ro, (r) => plan(r, o));
      process.stderr.write(`• Rollout/${namespace}/${ro} ${done.said}\n`);
    });
  });
}

export function promoteCommand(): Command {
  return operation(
    'promote',
    'move a paused rollout on: past an indefinite `pause: {}` step, or a blue-green rollout waiting to switch; --full skips every remaining step, pause and analysis',
    'sluice rollout promote checkout -n shop\n  sluice rollout promote checkout --full',
    (ro, o) => promotePlan(ro, { full: o.full === true }),
  ).option('--full', 'skip the remaining steps, pauses and analyses: go to the new version now');
}

export function abortCommand(): Command {
  return operation(
    'abort',
    'stop the update in progress: traffic and replicas go back to the stable revision (status.abort)',
    'sluice rollout abort checkout -n shop',
    (ro) => abortPlan(ro, new Date()),
  );
}

export function retryCommand(): Command {
  return operation(
    'retry',
    'start an aborted update again from its first step',
    'sluice rollout retry checkout -n shop',
    (ro) => retryPlan(ro),
  );
}

export function pauseCommand(): Command {
  return operation(
    'pause',
    'hold the rollout where it is (spec.paused) until `sluice rollout promote`',
    'sluice rollout pause checkout -n shop',
    (ro) => pausePlan(ro),
  );
}

/** `--in 30s` / `5m` / `1h`: when to restart, from now. */
export function parseDelay(v: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(v.trim());
  if (!m) throw usageError(`--in must look like 30s, 5m or 1h, got "${v}"`);
  const unit = { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  return Number(m[1]) * unit * 1000;
}

export function restartCommand(): Command {
  return operation(
    'restart',
    'replace every pod (oldest first, within maxUnavailable) by setting spec.restartAt',
    'sluice rollout restart checkout -n shop\n  sluice rollout restart checkout --in 10m',
    (_ro, o) => restartPlan(new Date(Date.now() + (o.in ?? 0))),
  ).option('--in <duration>', 'restart this long from now (30s, 5m, 1h)', parseDelay);
}
