/**
 * `sluice cluster add | list | rm`: clusters other than the local one, registered as Secrets
 * labelled `sluice.dev/secret-type: cluster` in the controller's namespace (the format of
 * src/api/cluster.ts). Applications name them in `destination.name` or `destination.server`.
 */
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, Option } from 'commander';
import { API_VERSION, KIND, type Application } from '../../api/application.ts';
import {
  CLUSTER_SECRET_SELECTOR,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  clusterSecret,
  isClusterProblem,
  parseClusterSecret,
} from '../../api/cluster.ts';
import { SluiceError, errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { DEFAULT_APP_NAMESPACE, withKube } from '../context.ts';
import { formatTable, outputOption, printData, type OutputFormat } from '../output.ts';
import { flattenKubeconfig } from './kubeconfig.ts';

interface ClusterOptions {
  kubeconfig?: string;
  controllerNamespace: string;
}

/** One line of `cluster list`. */
export interface ClusterRow {
  name: string;
  server: string;
  secret: string;
  problem?: string;
}

const controllerNamespaceOption = (): Option =>
  new Option('--controller-namespace <ns>', 'the controller’s namespace, where the Secrets live')
    .env('SLUICE_CONTROLLER_NAMESPACE')
    .default(DEFAULT_APP_NAMESPACE);

const usage = (message: string): SluiceError =>
  new SluiceError('BadFlag', message, { exitCode: 2 });
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const connect = <T>(kubeconfig: string | undefined, fn: (kube: Kube) => Promise<T>): Promise<T> =>
  withKube({ ...(kubeconfig ? { kubeconfig } : {}), appNamespace: DEFAULT_APP_NAMESPACE }, fn);

async function clusterRows(
  kube: Kube,
  namespace: string,
): Promise<Array<ClusterRow & { object: KubeObject }>> {
  const list = await kube.list('v1', 'Secret', {
    namespace,
    labelSelector: CLUSTER_SECRET_SELECTOR,
  });
  return list.items.map((object) => {
    const c = parseClusterSecret(object);
    const secret = object.metadata.name ?? '';
    return isClusterProblem(c)
      ? { name: '', server: '', secret, problem: c.message, object }
      : { name: c.name, server: c.server, secret, object };
  });
}

type AddOptions = ClusterOptions & {
  context?: string;
  server?: string;
  upsert?: boolean;
  hubKubeconfig?: string;
};

function addCommand(): Command {
  return new Command('add')
    .description('register a cluster from a kubeconfig (certificates are inlined into the Secret)')
    .argument('<name>', 'the name Applications use in destination.name')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the cluster to add')
    .option('--context <context>', 'context to use (default: its current context)')
    .option('--server <url>', 'API server URL the controller uses (default: the context’s)')
    .option('--upsert', 'replace the registration if the name is taken')
    .option(
      '--hub-kubeconfig <file>',
      'kubeconfig of the cluster Sluice runs in (default: $KUBECONFIG, then ~/.kube/config)',
    )
    .addOption(controllerNamespaceOption())
    .addHelpText(
      'after',
      '\nExample:\n  sluice cluster add prod --kubeconfig ~/.kube/prod.yaml --context prod-admin\n' +
        '  sluice app create web --repo ... --dest-name prod --dest-namespace web',
    )
    .action(async (name: string, o: AddOptions) => {
      if (!DNS_LABEL.test(name) || name.length > 55)
        throw usage(
          `cluster name "${name}": use lowercase letters, digits and "-" (up to 55 characters)`,
        );
      if (name === IN_CLUSTER_NAME)
        throw usage(`"${IN_CLUSTER_NAME}" is the local cluster; it needs no registration`);
      const kc = new KubeConfig();
      try {
        kc.loadFromFile(o.kubeconfig ?? '');
      } catch (err) {
        throw usage(`cannot load --kubeconfig ${o.kubeconfig ?? ''}: ${errorMessage(err)}`);
      }
      const flat = await flattenKubeconfig(
        kc,
        {
          source: o.kubeconfig ?? '',
          ...(o.context ? { context: o.context } : {}),
          ...(o.server ? { server: o.server } : {}),
        },
        (path) => readFile(path),
      );
      for (const w of flat.warnings) process.stderr.write(`• warning: ${w}\n`);
      const secret = clusterSecret({
        namespace: o.controllerNamespace,
        name,
        server: flat.server,
        kubeconfig: flat.kubeconfig,
      });
      const replaced = await connect(o.hubKubeconfig, async (kube) => {
        const existing = await kube.get(
          'v1',
          'Secret',
          o.controllerNamespace,
          secret.metadata.name ?? '',
        );
        if (existing && !o.upsert)
          throw new SluiceError(
            'ClusterExists',
            `cluster ${name} is already registered (Secret ${o.controllerNamespace}/${secret.metadata.name ?? ''})`,
            {
              hint: 'add --upsert to replace it',
            },
          );
        if (!(await kube.get('v1', 'Namespace', undefined, o.controllerNamespace)))
          await kube.create({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: o.controllerNamespace },
          });
        if (existing) {
          const rv = existing.metadata.resourceVersion;
          await kube.update({
            ...secret,
            metadata: { ...secret.metadata, ...(rv ? { resourceVersion: rv } : {}) },
          });
        } else await kube.create(secret);
        return existing !== undefined;
      });
      process.stderr.write(
        `• cluster ${name} (${flat.server}, context ${flat.context}) ${replaced ? 'updated' : 'added'}\n`,
      );
    });
}

function listCommand(): Command {
  return new Command('list')
    .description('list clusters Applications can deploy to, the local one first')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .addOption(controllerNamespaceOption())
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice cluster list -o json')
    .action(async (o: ClusterOptions & { output: OutputFormat }) => {
      const found = await connect(o.kubeconfig, (kube) => clusterRows(kube, o.controllerNamespace));
      const rows: ClusterRow[] = [
        { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, secret: '' },
        ...found.map(({ object: _o, ...row }) => row),
      ];
      for (const r of rows) if (r.problem) process.stderr.write(`• warning: ${r.problem}\n`);
      printData(o.output, rows, () =>
        formatTable(
          ['NAME', 'SERVER', 'SECRET'],
          rows.map((r) => [r.name || '?', r.server, r.secret]),
        ),
      );
    });
}

/** Applications (in any namespace) whose destination is this cluster. */
async function appsUsing(kube: Kube, row: ClusterRow): Promise<string[]> {
  const apps = await kube
    .list<Application>(API_VERSION, KIND)
    .catch(() => ({ items: [] as Application[] }));
  return apps.items
    .filter((a) => a.spec.destination.name === row.name || a.spec.destination.server === row.server)
    .map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
}

function rmCommand(): Command {
  return new Command('rm')
    .alias('remove')
    .description('unregister a cluster; refused while Applications deploy to it (unless --force)')
    .argument('<name>')
    .option('--force', 'remove it even though Applications deploy to it')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .addOption(controllerNamespaceOption())
    .addHelpText('after', '\nExample:\n  sluice cluster rm staging')
    .action(async (name: string, o: ClusterOptions & { force?: boolean }) => {
      if (name === IN_CLUSTER_NAME)
        throw usage(`"${IN_CLUSTER_NAME}" is the local cluster; it cannot be removed`);
      await connect(o.kubeconfig, async (kube) => {
        const row = (await clusterRows(kube, o.controllerNamespace)).find(
          (r) => r.name === name || r.secret === `cluster-${name}`,
        );
        if (!row)
          throw new SluiceError(
            'ClusterNotFound',
            `cluster ${name} is not registered in ${o.controllerNamespace}`,
            {
              exitCode: 3,
              hint: 'see `sluice cluster list`',
            },
          );
        const users = await appsUsing(kube, row);
        if (users.length > 0 && !o.force)
          throw new SluiceError(
            'ClusterInUse',
            `cluster ${name} is the destination of ${users.join(', ')}`,
            {
              hint: 'move or delete those Applications first, or add --force',
            },
          );
        await kube.delete(row.object);
        process.stderr.write(
          `• cluster ${name} removed (Secret ${row.secret})${users.length > 0 ? `; ${users.join(', ')} now name an unknown cluster` : ''}\n`,
        );
      });
    });
}

export function clusterCommand(): Command {
  return new Command('cluster')
    .summary('register clusters to deploy to (add, list, rm)')
    .description(
      'Clusters other than the local one, as Secrets the controller reads. The local cluster is always "in-cluster" (https://kubernetes.default.svc).',
    )
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(rmCommand())
    .addHelpText('after', '\nExample:\n  sluice cluster add prod --kubeconfig ~/.kube/prod.yaml');
}
