/** `sluice app list | get | history`: read commands, each with `-o table|json|yaml`. */
import { Command } from 'commander';
import { API_VERSION, KIND, type Application } from '../../api/application.ts';
import { REFRESH_ANNOTATION } from '../../gitops/annotations.ts';
import { addClusterOptions, bold, statusColor, withKube, type GlobalOptions } from '../context.ts';
import { formatTable, outputOption, printData, type OutputFormat } from '../output.ts';
import { appRef, getApp, shortSha, waitFor } from './common.ts';

type ReadOptions = GlobalOptions & {
  output: OutputFormat;
  allNamespaces?: boolean;
  refresh?: boolean;
};

export function listCommand(): Command {
  const cmd = new Command('list')
    .description('list Applications')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace');
  addClusterOptions(cmd);
  return cmd.action(async (o: ReadOptions) => {
    await withKube(o, async (kube) => {
      const list = await kube.list<Application>(
        API_VERSION,
        KIND,
        o.allNamespaces ? {} : { namespace: o.appNamespace },
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

function describeApp(a: Application): string {
  const s = a.status;
  const lines = [
    `${bold('Name:')}          ${a.metadata.namespace}/${a.metadata.name}`,
    `${bold('Source:')}        ${a.spec.source.repoURL} ${a.spec.source.path ?? '.'} @ ${a.spec.source.targetRevision ?? 'HEAD'}`,
    `${bold('Destination:')}   ${a.spec.destination.server ?? a.spec.destination.name ?? 'in-cluster'} namespace ${a.spec.destination.namespace ?? 'default'}`,
    `${bold('Sync policy:')}   ${a.spec.syncPolicy?.automated ? `automated${a.spec.syncPolicy.automated.enabled === false ? ' (PAUSED)' : ''}${a.spec.syncPolicy.automated.prune ? ', prune' : ''}${a.spec.syncPolicy.automated.selfHeal ? ', self-heal' : ''}` : 'manual'}`,
    `${bold('Sync status:')}   ${statusColor(s?.sync?.status)} ${shortSha(s?.sync?.revision)}`,
    `${bold('Health:')}        ${statusColor(s?.health?.status)}${s?.health?.message ? `  ${s.health.message}` : ''}`,
  ];
  const op = s?.operationState;
  if (op)
    lines.push(
      `${bold('Last sync:')}     ${statusColor(op.phase)} ${op.finishedAt ?? op.startedAt}  ${op.message ?? ''}`,
    );
  for (const c of s?.conditions ?? [])
    lines.push(
      `${bold('Condition:')}     ${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`,
    );
  const resources = s?.resources ?? [];
  if (resources.length > 0) {
    lines.push('');
    lines.push(
      formatTable(
        ['KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'MESSAGE'],
        resources.map((r) => [
          r.group ? `${r.kind}.${r.group}` : r.kind,
          r.namespace ?? '',
          r.name,
          statusColor(r.requiresPruning ? 'OutOfSync' : r.status),
          statusColor(r.health?.status),
          r.requiresPruning ? 'no longer in Git: needs pruning' : (r.health?.message ?? ''),
        ]),
      ).trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description('show an Application: sync, health, conditions, resources')
    .argument('<name>')
    .addOption(outputOption())
    .option('--refresh', 'fetch the repository and compare again before showing');
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: ReadOptions) => {
    await withKube(o, async (kube) => {
      let app = await getApp(kube, o.appNamespace, name);
      if (o.refresh) {
        const before = app.status?.reconciledAt ?? '';
        await kube.mergePatch(appRef(o.appNamespace, name), {
          metadata: { annotations: { [REFRESH_ANNOTATION]: new Date().toISOString() } },
        });
        app = await waitFor(
          kube,
          o.appNamespace,
          name,
          'the controller to refresh it',
          60,
          (a) => (a.status?.reconciledAt ?? '') !== before,
        ).catch(() => app);
      }
      printData(o.output, app, () => describeApp(app));
    });
  });
}

export function historyCommand(): Command {
  const cmd = new Command('history')
    .description('the last syncs of an Application (ids for rollback)')
    .argument('<name>')
    .addOption(outputOption());
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
