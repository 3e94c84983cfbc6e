/** `sluice app list | get | history | resources`: read commands, each with `-o table|json|yaml`. */
import { Command } from 'commander';
import { API_VERSION, KIND, type Application, type ResourceStatus } from '../../api/application.ts';
import { REFRESH_ANNOTATION } from '../../gitops/annotations.ts';
import { formatCounts } from '../../gitops/summary.ts';
import { addClusterOptions, bold, statusColor, withKube, type GlobalOptions } from '../context.ts';
import { formatTable, outputOption, printData, type OutputFormat } from '../output.ts';
import type { Kube } from '../../kube/api.ts';
import { appRef, getApp, shortSha, waitFor, whileBusy } from './common.ts';
import { parseSeconds } from './flags.ts';
import { addControllerOption, ControllerWatch, type ControllerOptions } from './presence.ts';

type ReadOptions = GlobalOptions & {
  output: OutputFormat;
  allNamespaces?: boolean;
  refresh?: boolean;
};

export function listCommand(): Command {
  const cmd = new Command('list')
    .description('list Applications')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText('after', '\nExample:\n  sluice app list -A -o json');
  addClusterOptions(cmd);
  return cmd.action(async (o: ReadOptions) => {
    await withKube(o, async (kube) => {
      const list = await whileBusy(() =>
        kube.list<Application>(
          API_VERSION,
          KIND,
          o.allNamespaces ? {} : { namespace: o.appNamespace },
        ),
      );
      const apps = list.items.sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
      printData(o.output, apps, () =>
        apps.length === 0
          ? `no Applications in ${o.allNamespaces ? 'any namespace' : `namespace ${o.appNamespace}`}\n`
          : formatTable(
              ['NAME', 'SYNC', 'HEALTH', 'REVISION', 'REPO', 'PATH'],
              apps.map((a) => [
                o.allNamespaces ? `${a.metadata.namespace}/${a.metadata.name}` : a.metadata.name,
                statusColor(a.status?.sync?.status),
                statusColor(a.status?.health?.status),
                shortSha(a.status?.sync?.revision),
                a.spec.source.repoURL,
                a.spec.source.path ?? '.',
              ]),
            ),
      );
    });
  });
}

function syncPolicyText(a: Application): string {
  const auto = a.spec.syncPolicy?.automated;
  if (!auto) return 'manual';
  const parts = ['automated' + (auto.enabled === false ? ' (PAUSED)' : '')];
  if (auto.prune) parts.push('prune');
  if (auto.selfHeal) parts.push('self-heal');
  return parts.join(', ');
}

const field = (label: string, value: string): string => `${bold(`${label}:`.padEnd(14))} ${value}`;

function sourceText(a: Application): string {
  const { repoURL, path, targetRevision } = a.spec.source;
  return `${repoURL} ${path ?? '.'} @ ${targetRevision ?? 'HEAD'}`;
}

function destinationText(a: Application): string {
  const { server, name, namespace } = a.spec.destination;
  return `${server ?? name ?? 'in-cluster'} namespace ${namespace ?? 'default'}`;
}

function healthText(a: Application): string {
  const h = a.status?.health;
  return `${statusColor(h?.status)}${h?.message ? `  ${h.message}` : ''}`;
}

/** The header of `app get`: source, destination, policy, status, last sync, conditions. */
function summaryLines(a: Application): string[] {
  const s = a.status;
  const lines = [
    field('Name', `${a.metadata.namespace}/${a.metadata.name}`),
    field('Source', sourceText(a)),
    field('Destination', destinationText(a)),
    field('Sync policy', syncPolicyText(a)),
    field('Sync status', `${statusColor(s?.sync?.status)} ${shortSha(s?.sync?.revision)}`),
    field('Health', healthText(a)),
  ];
  const op = s?.operationState;
  if (op)
    lines.push(
      field(
        'Last sync',
        `${statusColor(op.phase)} ${op.finishedAt ?? op.startedAt}  ${op.message ?? ''}`,
      ),
    );
  for (const c of s?.conditions ?? [])
    lines.push(field('Condition', `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`));
  return lines;
}

function resourceRow(r: ResourceStatus): string[] {
  return [
    r.group ? `${r.kind}.${r.group}` : r.kind,
    r.namespace ?? '',
    r.name,
    statusColor(r.requiresPruning ? 'OutOfSync' : r.status),
    statusColor(r.health?.status),
    r.requiresPruning ? 'no longer in Git: needs pruning' : (r.health?.message ?? ''),
  ];
}

/**
 * "showing 500 of 20000 objects; 20000 Synced; 19998 Healthy, 2 Progressing": the status lists
 * at most 500 objects (those needing attention first) and counts all of them.
 */
export function resourceTotals(a: Application): string | undefined {
  const s = a.status?.summary;
  if (!s) return undefined;
  const listed = a.status?.resources?.length ?? 0;
  const shown = s.truncated ? `showing ${listed} of ${s.total} objects` : `${s.total} objects`;
  return [shown, formatCounts(s.sync), formatCounts(s.health)].filter(Boolean).join('; ');
}

function describeApp(a: Application): string {
  const lines = summaryLines(a);
  const resources = a.status?.resources ?? [];
  const totals = resourceTotals(a);
  if (totals) lines.push(field('Resources', totals));
  if (resources.length > 0) {
    lines.push(
      '',
      formatTable(
        ['KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'MESSAGE'],
        resources.map(resourceRow),
      ).trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * `--refresh`: stamps the refresh annotation and waits until the controller has fetched,
 * compared and removed it (it does whether or not anything changed).
 */
async function refreshed(kube: Kube, o: GetOptions, name: string): Promise<Application> {
  const stamp = new Date().toISOString();
  await kube.mergePatch(appRef(o.appNamespace, name), {
    metadata: { annotations: { [REFRESH_ANNOTATION]: stamp } },
  });
  const done = (a: Application): boolean =>
    a.metadata.annotations?.[REFRESH_ANNOTATION] === undefined;
  const watch = new ControllerWatch(kube, o.controllerNamespace, `the refresh of ${name}`);
  return waitFor(kube, o.appNamespace, name, {
    what: 'the controller to refresh it',
    timeoutSeconds: o.timeout,
    done,
    controller: { watch, acted: done },
  });
}

type GetOptions = ReadOptions & ControllerOptions & { timeout: number };

export function getCommand(): Command {
  const cmd = new Command('get')
    .description('show an Application: sync, health, conditions, resources')
    .argument('<name>')
    .addOption(outputOption())
    .option('--refresh', 'fetch the repository and compare again before showing')
    .option(
      '--timeout <seconds>',
      'with --refresh: give up waiting after this long',
      parseSeconds,
      60,
    )
    .addHelpText(
      'after',
      '\nWith --refresh and no controller running, it says so and exits 1 instead of showing old data.\n' +
        'Example:\n  sluice app get guestbook --refresh',
    );
  addClusterOptions(cmd);
  addControllerOption(cmd);
  return cmd.action(async (name: string, o: GetOptions) => {
    await withKube(o, async (kube) => {
      // Not found: exit 3 before anything is written.
      const found = await getApp(kube, o.appNamespace, name);
      const app = o.refresh ? await refreshed(kube, o, name) : found;
      printData(o.output, app, () => describeApp(app));
    });
  });
}

export function historyCommand(): Command {
  const cmd = new Command('history')
    .description('the last syncs of an Application (ids for rollback)')
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice app history guestbook -o yaml');
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: ReadOptions) => {
    await withKube(o, async (kube) => {
      const app = await getApp(kube, o.appNamespace, name);
      const history = [...(app.status?.history ?? [])].reverse();
      printData(o.output, history, () =>
        history.length === 0
          ? `${name} has not been synced yet\n`
          : formatTable(
              ['ID', 'DATE', 'REVISION', 'INITIATED BY'],
              history.map((h) => [String(h.id), h.deployedAt, h.revision, h.initiatedBy]),
            ),
      );
    });
  });
}

export function resourcesCommand(): Command {
  const cmd = new Command('resources')
    .description(
      'the objects an Application manages, with their sync status and health (at most 500 listed, needing attention first; all counted)',
    )
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice app resources guestbook -o json');
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: ReadOptions) => {
    await withKube(o, async (kube) => {
      const app = await getApp(kube, o.appNamespace, name);
      const resources = app.status?.resources ?? [];
      const totals = resourceTotals(app);
      if (totals) process.stderr.write(`• ${totals}\n`);
      printData(o.output, resources, () =>
        resources.length === 0
          ? `${name} manages no objects yet\n`
          : formatTable(
              ['GROUP', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'HOOK'],
              resources.map((r) => [
                r.group,
                r.kind,
                r.namespace ?? '',
                r.name,
                statusColor(r.requiresPruning ? 'OutOfSync' : r.status),
                r.health ? statusColor(r.health.status) : '',
                r.hook ?? '',
              ]),
            ),
      );
    });
  });
}
