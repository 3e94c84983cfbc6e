/** `sluice app ...`: manage Applications. One file per command or small group of commands. */
import { Command } from 'commander';
import { createCommand } from './create.ts';
import { deleteCommand } from './delete.ts';
import { diffCommand } from './diff.ts';
import { manifestsCommand } from './manifests.ts';
import { getCommand, historyCommand, listCommand, resourcesCommand } from './read.ts';
import { patchCommand, setCommand, unsetCommand } from './set.ts';
import { rollbackCommand, syncCommand } from './sync.ts';
import { terminateOpCommand, waitCommand } from './wait.ts';

export function appCommand(): Command {
  return new Command('app')
    .summary(
      'manage Applications (create, list, get, diff, sync, wait, set, rollback, delete, ...)',
    )
    .description(
      'Applications say: this path of this Git repository must run in that cluster and namespace. The controller keeps it so.',
    )
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(resourcesCommand())
    .addCommand(manifestsCommand())
    .addCommand(diffCommand())
    .addCommand(syncCommand())
    .addCommand(waitCommand())
    .addCommand(terminateOpCommand())
    .addCommand(historyCommand())
    .addCommand(rollbackCommand())
    .addCommand(setCommand())
    .addCommand(unsetCommand())
    .addCommand(patchCommand())
    .addCommand(deleteCommand())
    .addHelpText('after', '\nExample:\n  sluice app list -A -o json');
}
