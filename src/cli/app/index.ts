/** `sluice app ...`: manage Applications. Talks to the Kubernetes API only. */
import { Command } from 'commander';
import { createCommand } from './create.ts';
import { diffCommand } from './diff.ts';
import { deleteCommand, rollbackCommand, setCommand, syncCommand, waitCommand } from './operate.ts';
import { getCommand, historyCommand, listCommand } from './read.ts';

export function appCommand(): Command {
  return new Command('app')
    .summary('manage Applications (create, list, get, diff, sync, wait, history, rollback, delete)')
    .description(
      'Applications say: this path of this Git repository must run in that namespace. The controller keeps it so.',
    )
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(diffCommand())
    .addCommand(syncCommand())
    .addCommand(waitCommand())
    .addCommand(historyCommand())
    .addCommand(rollbackCommand())
    .addCommand(setCommand())
    .addCommand(deleteCommand());
}
