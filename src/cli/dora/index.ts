/**
 * `sluice dora`: the four keys (deployment frequency, lead time for changes, change failure rate,
 * time to restore) with their DORA bands, from the deployment records `sluice controller` keeps
 * in its store; `sluice dora deployments` lists those records. Both read the same store as
 * `sluice pipeline logs` (`--database-url`, else $SLUICE_DATABASE_URL, else the controller's
 * runs.db) and take `--env`, `--app`, `--since` and `-o json|yaml`.
 */
import { Command } from 'commander';
import { doraReport, windowFrom, DEFAULT_SINCE } from '../../delivery/dora/index.ts';
import { SluiceError } from '../../errors.ts';
import { defaultStoreUrl, redactUrl, type RunStore } from '../../pipelines/store/index.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { databaseUrlOption, openStoreIfAny } from '../pipeline/options.ts';
import { deploymentsTable, reportTable } from './render.ts';

interface DoraFlags {
  env?: string;
  app?: string;
  since: string;
  output: OutputFormat;
  databaseUrl?: string;
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('--env <environment>', 'only this environment (the label sluice.dev/environment, else the destination namespace)')
    .option('--app <app>', 'only this Application: NAME or NAMESPACE/NAME')
    .option('--since <when>', 'the window: a duration back from now (30d, 2w, 12h) or a date (2026-11-01)', DEFAULT_SINCE)
    .addOption(outputOption())
    .addOption(databaseUrlOption()); // prettier-ignore
}

/** The store, or NoDeploymentStore (exit 3) naming where it looked. */
async function withStore<T>(o: DoraFlags, fn: (store: RunStore) => Promise<T>): Promise<T> {
  const store = await openStoreIfAny(o);
  if (!store)
    throw new SluiceError(
      'NoDeploymentStore',
      `no deployment records: there is no store at ${redactUrl(o.databaseUrl ?? defaultStoreUrl())}`,
      {
        hint: '`sluice controller` records deployments (unless --no-dora); point --database-url at its store',
        exitCode: 3,
      },
    );
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const query = (o: DoraFlags): { environment?: string; app?: string; since: string } => ({
  ...(o.env ? { environment: o.env } : {}),
  ...(o.app ? { app: o.app } : {}),
  since: o.since,
});

/** `dora deployments`: its flags are `dora`'s (commander gives them to the parent anyway). */
function deploymentsCommand(): Command {
  return new Command('deployments')
    .description('the deployment records behind the metrics, oldest first')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', '\nExamples:\n  sluice dora deployments --env prod --since 7d\n  sluice dora deployments --app shop/web -o json')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<DoraFlags>();
      // A bad --since is a usage error, store or no store.
      const w = windowFrom(o.since, Date.now());
      await withStore(o, async (store) => {
        const [namespace, app] = o.app?.includes('/') ? o.app.split('/', 2) : [undefined, o.app];
        const records = await store.deployments.list({ environment: o.env, namespace, app, ...w });
        printData(o.output, records, () => deploymentsTable(records));
      });
    }); // prettier-ignore
}

export function doraCommand(): Command {
  return withFilters(new Command('dora'))
    .summary('DORA metrics: deployment frequency, lead time, change failure rate, time to restore')
    .description(
      "The four keys of DORA with their bands (Elite, High, Medium, Low; State of DevOps 2023/2024), from the deployments `sluice controller` records: an Application Synced and Healthy on a new revision is a deployment; a failed sync, an aborted Rollout or a rollback is a failed one, restored by the next good deployment. Lead time runs from each commit a deployment brought (its committer time; for a commit naming `Source commit time:`, as set-image and promotions write, that source commit's time) to the deployment.",
    )
    .addCommand(deploymentsCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice dora --env prod\n  sluice dora --app shop/web --since 90d -o json\n  sluice dora deployments --env prod\n' +
        'The same figures: GET /api/dora?env=prod&since=30d and sluice_dora_* gauges on the controller’s /metrics.',
    )
    .action(async (o: DoraFlags) => {
      windowFrom(o.since, Date.now());
      await withStore(o, async (store) => {
        const report = await doraReport(store.deployments, query(o));
        printData(o.output, report, () => reportTable(report));
      });
    });
}
