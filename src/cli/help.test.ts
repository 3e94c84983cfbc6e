import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { program } from './main.ts';

/** Every command people run (not the groups that only hold others), with its full name. */
function leaves(cmd: Command, prefix = ''): Array<[string, Command]> {
  const name = `${prefix}${cmd.name()}`;
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  return subs.length === 0 ? [[name, cmd]] : subs.flatMap((c) => leaves(c, `${name} `));
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

const commands = leaves(program());

describe('sluice --help', () => {
  it.each(commands)('%s shows an example', (_name, cmd) => {
    expect(helpOf(cmd)).toMatch(/Examples?:\n\s+\S/);
  });

  // Commands that read and print state offer -o json|yaml.
  const reads = [
    'sluice app list',
    'sluice app get',
    'sluice app resources',
    'sluice app history',
    'sluice app manifests',
    'sluice app diff',
    'sluice repo list',
    'sluice cluster list',
    'sluice dev-cluster status',
    'sluice pipeline list',
    'sluice pipeline describe',
    'sluice pipeline runs',
    'sluice pipeline get',
    'sluice pipelinerun list',
    'sluice pipelinerun get',
    'sluice task list',
    'sluice task get',
    'sluice taskrun list',
    'sluice taskrun get',
    'sluice notification list',
    'sluice notification get',
    'sluice promote status',
  ];
  it.each(reads)('%s takes -o json|yaml', (name) => {
    const cmd = commands.find(([n]) => n === name)?.[1];
    expect(cmd, `${name} exists`).toBeDefined();
    const output = cmd?.options.find((o) => o.long === '--output');
    expect(output?.argChoices).toEqual(expect.arrayContaining(['json', 'yaml']));
  });
});
