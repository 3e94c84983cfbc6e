/**
 * `sluice notification list | get | test`: Notifications (src/delivery/notifications), how their
 * deliveries went, and a sample event sent to every destination from the command line.
 */
import { Command, Option } from 'commander';
import {
  NOTIFICATION_API_VERSION,
  NOTIFICATION_KIND,
  type Notification,
} from '../../api/notification.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { whileBusy } from '../app/common.ts';
import { connect, kubeconfigOption } from '../context.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { resolveNamespace } from '../rollout/options.ts';
import { renderList, renderNotification, renderTestResults } from './render.ts';
import { sendTest, TEST_EVENT_TYPES } from './test.ts';

interface Options {
  kubeconfig?: string;
  namespace?: string;
}

function addOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(
      new Option(
        '-n, --namespace <ns>',
        "the Notification's namespace (default: the kubeconfig context's, else default)",
      ),
    );
}

async function withKube<T>(o: Options, fn: (kube: Kube, ns: string) => Promise<T>): Promise<T> {
  const namespace = resolveNamespace(o);
  const kube = await connect(o);
  try {
    return await fn(kube, namespace);
  } finally {
    await kube.close();
  }
}

export async function getNotification(kube: Kube, ns: string, name: string): Promise<Notification> {
  const n = await whileBusy(() =>
    kube.get<Notification>(NOTIFICATION_API_VERSION, NOTIFICATION_KIND, ns, name),
  );
  if (!n) {
    throw new SluiceError('NotificationNotFound', `Notification/${ns}/${name} not found`, {
      hint: `list them with \`sluice notification list -n ${ns}\` (or -A for every namespace)`,
      exitCode: 3,
    });
  }
  return withoutManagedFields(n);
}

/** As kubectl prints objects: without managedFields. */
function withoutManagedFields(n: Notification): Notification {
  const { managedFields: _, ...metadata } = n.metadata;
  return { ...n, metadata };
}

function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description('list Notifications: ready, the events they send, destinations, last delivery')
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice notification list -n team-a\n  sluice notification list -A -o json',
    );
  addOptions(cmd);
  return cmd.action(async (o: Options & { output: OutputFormat; allNamespaces?: boolean }) => {
    await withKube(o, async (kube, namespace) => {
      const list = await whileBusy(() =>
        kube.list<Notification>(
          NOTIFICATION_API_VERSION,
          NOTIFICATION_KIND,
          o.allNamespaces ? {} : { namespace },
        ),
      );
      const items = list.items
        .map(withoutManagedFields)
        .sort((a, b) =>
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
            `${b.metadata.namespace}/${b.metadata.name}`,
          ),
        );
      printData(o.output, items, () =>
        items.length === 0
          ? `no Notifications in ${o.allNamespaces ? 'any namespace' : `namespace ${namespace}`}\n`
          : renderList(items, o.allNamespaces === true, new Date()),
      );
    });
  });
}

function getCommand(): Command {
  const cmd = new Command('get')
    .description(
      'show a Notification: its triggers, and per destination the deliveries, the last one and the last failure with its reason',
    )
    .argument('<name>', 'the Notification')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice notification get ci -n team-a\n  sluice notification get ci -o yaml',
    );
  addOptions(cmd);
  return cmd.action(async (name: string, o: Options & { output: OutputFormat }) => {
    await withKube(o, async (kube, namespace) => {
      const n = await getNotification(kube, namespace, name);
      printData(o.output, n, () => renderNotification(n, new Date()));
    });
  });
}

interface TestOptions extends Options {
  event: string;
  object?: string;
  revision?: string;
  repoUrl?: string;
  retry: boolean;
  output: OutputFormat;
}

function testCommand(): Command {
  const cmd = new Command('test')
    .description(
      'send a sample event to every destination of a Notification, rendered with the templates its triggers use for that event (its Secrets read with your credentials); exit 1 when a destination did not take it',
    )
    .argument('<name>', 'the Notification')
    .addOption(
      new Option('--event <type>', 'the event type')
        .choices([...TEST_EVENT_TYPES])
        .makeOptionMandatory(),
    )
    .option('--object <name>', 'the name of the sample object (default sample)')
    .option('--revision <sha>', 'the commit of the sample event (commit statuses need a real one)')
    .option('--repo-url <url>', 'the repository of the sample event')
    .option('--no-retry', 'one attempt per destination, whatever its retry settings')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice notification test ci --event pipelinerun-failed -n team-a\n' +
        '  sluice notification test deploys --event sync-succeeded --revision $(git rev-parse HEAD) --repo-url https://github.com/org/app',
    );
  addOptions(cmd);
  return cmd.action(async (name: string, o: TestOptions) => {
    await withKube(o, async (kube, namespace) => {
      const n = await getNotification(kube, namespace, name);
      const results = await sendTest(kube, n, o);
      printData(o.output, results, () => renderTestResults(results));
      if (results.some((r) => r.result === 'Failed')) process.exitCode = 1;
    });
  });
}

export function notificationCommand(): Command {
  return new Command('notification')
    .alias('notifications')
    .summary('Notifications: list, get, and test their destinations with a sample event')
    .description(
      'A Notification sends delivery events (sync succeeded/failed, health degraded, rollout paused/aborted/completed, PipelineRun succeeded/failed) to webhooks, Slack and commit statuses. `sluice controller` delivers them; these commands show how that went, and send a sample.',
    )
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(testCommand())
    .addHelpText(
      'after',
      '\nExamples:\n  sluice notification list -A\n  sluice notification test ci --event pipelinerun-failed -n team-a',
    );
}
