/**
 * `sluice app manifests`: the objects of an app as YAML documents (or a JSON array): rendered
 * from Git (`--source git`, the default; the same render and checks as `app diff`, hooks
 * included) or as they run (`--source live`: every object the app tracks). Secret values are
 * masked; managedFields are left out.
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Application, InventoryEntry } from '../../api/application.ts';
import { withoutManagedFields } from '../../gitops/diff.ts';
import { readInventory } from '../../gitops/inventory.ts';
import { maskSecret } from '../../gitops/mask.ts';
import { apiVersionOf } from '../../gitops/prune.ts';
import type { Kube } from '../../kube/api.ts';
import { formatRef, type KubeObject } from '../../kube/types.ts';
import { addClusterOptions, withKube } from '../context.ts';
import { getApp } from './common.ts';
import { usageError } from './flags.ts';
import { addLocalOptions, compareLocally, onDestination, type LocalOptions } from './local.ts';

type ManifestOptions = LocalOptions & { source: 'git' | 'live'; output: 'yaml' | 'json' };

/** What the app tracks: its inventory, or (before its first sync) its resource list. */
function tracked(app: Application): InventoryEntry[] {
  const inventory = readInventory(app.status);
  if (inventory.length > 0) return inventory;
  return (app.status?.resources ?? []).filter((r) => !r.hook);
}

async function liveObjects(kube: Kube, app: Application): Promise<KubeObject[]> {
  const entries = tracked(app);
  if (entries.length === 0)
    process.stderr.write(`• ${app.metadata.name} tracks no objects yet: it has not been synced\n`);
  const found = await Promise.all(
    entries.map(async (e) => {
      const live = await kube.get(apiVersionOf(e), e.kind, e.namespace, e.name);
      if (!live) {
        const ref = { group: e.group, kind: e.kind, namespace: e.namespace ?? '', name: e.name };
        process.stderr.write(`• ${formatRef(ref)}: not in the cluster\n`);
      }
      return live;
    }),
  );
  return found.filter((o): o is KubeObject => o !== undefined).map(withoutManagedFields);
}

export function manifestsCommand(): Command {
  const cmd = new Command('manifests')
    .description('print the objects of an Application, rendered from Git or as they run')
    .argument('<name>')
    .addOption(
      new Option('--source <source>', 'git: as rendered; live: as they run')
        .choices(['git', 'live'])
        .default('git'),
    )
    .addOption(
      new Option('-o, --output <format>', 'YAML documents or a JSON array')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  sluice app manifests guestbook --revision v2\n' +
        '  sluice app manifests guestbook --source live -o json',
    );
  addLocalOptions(cmd);
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: ManifestOptions) => {
    if (o.source === 'live' && o.revision)
      throw usageError('--revision reads Git; it does not go with --source live');
    const objects = await withKube(o, async (kube) => {
      const app = await getApp(kube, o.appNamespace, name);
      if (o.source === 'live') return onDestination(kube, app, o, (dest) => liveObjects(dest, app));
      const cmp = await compareLocally(kube, app, o);
      return [...cmp.plan.resources, ...cmp.plan.hooks].map((r) => r.object);
    });
    const masked = objects.map(maskSecret);
    process.stdout.write(
      o.output === 'json'
        ? JSON.stringify(masked, null, 2) + '\n'
        : masked.map((m) => stringify(m)).join('---\n'),
    );
  });
}
