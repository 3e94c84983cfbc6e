/**
 * The flags `app create` and `app set` share, with argocd's names beside Sluice's older ones
 * (`--values` = `--values-file`), and reading `--values-literal-file`.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { errorMessage } from '../../errors.ts';
import { collect, parseSyncPolicy, usageError } from './flags.ts';
import type { SpecFlags } from './spec-edit.ts';

export type SpecOptions = SpecFlags & { valuesLiteralFile?: string };

function sourceOptions(cmd: Command): Command {
  return cmd
    .option('--repo <url>', 'Git repository URL (https, ssh or file://)')
    .option('--path <path>', 'directory in the repository (default: the root)')
    .option('--revision <rev>', 'branch, tag or commit to follow (default: HEAD)')
    .option('--dest-server <url>', 'destination API server (default: the local cluster)')
    .option('--dest-name <name>', 'destination cluster, by name (see `sluice cluster list`)')
    .option('--dest-namespace <ns>', 'namespace for namespaced objects that set none')
    .option('--values <file>', 'Helm values file, relative to the chart (repeatable)', collect, [])
    .addOption(
      new Option('--values-file <file>', 'same as --values').argParser(collect).default([]),
    )
    .option('--values-literal-file <file>', 'Helm values given inline, read from this file')
    .option('--helm-set <name=value>', 'Helm parameter (repeatable)', collect, [])
    .option(
      '--helm-set-string <name=value>',
      'Helm parameter kept a string (repeatable)',
      collect,
      [],
    )
    .option('--release-name <name>', 'Helm release name (default: the app name)')
    .option(
      '--kustomize-image <image>',
      'Kustomize image override, e.g. ghcr.io/org/app:3f2a9c1 (repeatable)',
      collect,
      [],
    )
    .option('--name-prefix <prefix>', 'Kustomize name prefix')
    .option('--name-suffix <suffix>', 'Kustomize name suffix')
    .option('--directory-recurse', 'plain YAML: include subdirectories');
}

/** Adds the shared flags; `set` also gets the --no-... forms. */
export function addSpecOptions(cmd: Command, mode: 'create' | 'set'): Command {
  sourceOptions(cmd)
    .addOption(
      new Option('--sync-policy <policy>', 'automated or none (argocd: auto, manual)').argParser(
        parseSyncPolicy,
      ),
    )
    .option('--auto-prune', 'with automated sync: delete what left Git')
    .option('--self-heal', 'with automated sync: revert changes made in the cluster')
    .option(
      '--sync-option <opt>',
      'CreateNamespace=true, PruneLast=true, ... (repeatable; !Name removes, with `set`)',
      collect,
      [],
    )
    .option(
      '--depends-on <app>',
      'wait for this Application to be Synced and Healthy (repeatable)',
      collect,
      [],
    )
    .option(
      '--project <name>',
      'AppProject the app is in (its fence: repositories, destinations, kinds); default "default"',
    );
  if (mode === 'set') {
    cmd
      .option('--auto-sync', 'turn automated sync on (also after a rollback paused it)')
      .option('--no-auto-sync', 'pause automated sync')
      .option('--no-self-heal', 'leave changes made in the cluster (show them as OutOfSync)')
      .option('--no-auto-prune', 'keep what left Git (show it as needing pruning)');
  }
  return cmd;
}

/** The content of --values-literal-file, if given. */
export async function readValuesLiteral(o: SpecOptions): Promise<string | undefined> {
  if (o.valuesLiteralFile === undefined) return undefined;
  try {
    return await readFile(o.valuesLiteralFile, 'utf8');
  } catch (err) {
    throw usageError(
      `cannot read --values-literal-file ${o.valuesLiteralFile}: ${errorMessage(err)}`,
    );
  }
}
