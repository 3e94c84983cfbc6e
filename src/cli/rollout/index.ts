/**
 * `sluice rollout ...`: watch and steer progressive delivery, with the commands and flags of
 * `kubectl argo rollouts`. One file per command or small group: read.ts (list, get --watch),
 * operations.ts (promote, abort, retry, pause, restart), edit.ts (undo, set-image).
 */
import { Command } from 'commander';
import {
  abortCommand,
  pauseCommand,
  promoteCommand,
  restartCommand,
  retryCommand,
} from './operations.ts';
import { setImageCommand, undoCommand } from './edit.ts';
import { getCommand, listCommand } from './read.ts';

export function rolloutCommand(): Command {
  return new Command('rollout')
    .alias('rollouts')
    .summary('watch and steer Rollouts (list, get --watch, promote, abort, retry, undo, ...)')
    .description(
      'A Rollout replaces a Deployment and moves to a new version in steps (canary) or side by side (blue-green), gated by analysis. These commands show where it is and move it on, back or out of the way.',
    )
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(promoteCommand())
    .addCommand(abortCommand())
    .addCommand(retryCommand())
    .addCommand(pauseCommand())
    .addCommand(restartCommand())
    .addCommand(undoCommand())
    .addCommand(setImageCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice rollout get checkout -n shop --watch\n  sluice rollout promote checkout -n shop',
    );
}
