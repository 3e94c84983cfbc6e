/**
 * Flags the `sluice pipeline` commands share, named as `tkn` users know them: `--kubeconfig`,
 * `-n/--namespace` (default: the kubeconfig context's namespace, else `default`), `-L/--last`;
 * and `--database-url` for the run store that keeps logs and records once the pods are gone.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  defaultStoreUrl,
  openRunStore,
  parseDatabaseUrl,
  type RunStore,
} from '../../pipelines/store/index.ts';
import type { Kube } from '../../kube/api.ts';
import { kubeconfigOption } from '../context.ts';
import { withRolloutKube } from '../rollout/options.ts';
import { usageError } from '../app/flags.ts';
import type { RunChoice } from './objects.ts';

export interface PipelineOptions {
  kubeconfig?: string;
  namespace?: string;
}

export interface StoreOptions {
  databaseUrl?: string;
}

/** The field manager of what the CLI writes (shown in managedFields). */
export const FIELD_MANAGER = 'sluice-cli';

export function addPipelineOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(
      new Option(
        '-n, --namespace <ns>',
        "the namespace (default: the kubeconfig context's, else default)",
      ),
    );
}

/** `[run]` plus `-L, --last [pipeline]`: a run by name, or the newest (of a Pipeline). */
export function addRunArgument(cmd: Command): Command {
  return cmd
    .argument('[run]', 'the PipelineRun (or use --last)')
    .option('-L, --last [pipeline]', 'the newest PipelineRun (of this Pipeline, if named)');
}

/** The run argument and --last, checked: exactly one of them. */
export function runChoice(name: string | undefined, o: { last?: string | boolean }): RunChoice {
  if (name && o.last) throw usageError('name a PipelineRun or use --last, not both');
  if (!name && !o.last) throw usageError('name a PipelineRun, or use --last for the newest');
  return { name, last: o.last };
}

export function databaseUrlOption(): Option {
  return new Option(
    '--database-url <url>',
    "the run store: postgres://... or a SQLite file (default: $SLUICE_DATABASE_URL, else the controller's runs.db in $SLUICE_WORK_DIR or <cache>/controller)",
  );
}

/** Runs `fn` with a client and the namespace, and always closes the client. */
export function withPipelineKube<T>(
  o: PipelineOptions,
  fn: (kube: Kube, namespace: string) => Promise<T>,
): Promise<T> {
  return withRolloutKube(o, fn);
}

/**
 * The run store, when there is one to read: `--database-url`, else the controller's default
 * (`defaultStoreUrl`). A SQLite file that does not exist is no store: a reader never creates
 * an empty one. Close it after use.
 */
export async function openStoreIfAny(o: StoreOptions): Promise<RunStore | undefined> {
  const url = o.databaseUrl ?? defaultStoreUrl();
  const where = parseDatabaseUrl(url);
  if (where.backend === 'sqlite' && !existsSync(where.path)) return undefined;
  return openRunStore({ databaseUrl: url });
}
