/**
 * `sluice app set | unset | patch`: change an existing Application, as argocd's commands of the
 * same names do. `set` and `unset` edit the spec and send the difference as a merge patch;
 * `patch` sends the patch a person wrote (JSON patch by default, as argocd; or a merge patch).
 */
import { Command, Option } from 'commander';
import { API_VERSION, KIND } from '../../api/application.ts';
import { resourcePath } from '../../kube/discovery.ts';
import { addClusterOptions, withKube, type GlobalOptions } from '../context.ts';
import { editSpec, getApp } from './common.ts';
import { collect, parsePatch, usageError, type PatchType } from './flags.ts';
import { applySpecFlags, unsetSpecFlags, type UnsetFlags } from './spec-edit.ts';
import { addSpecOptions, readValuesLiteral, type SpecOptions } from './spec-options.ts';

function report(name: string, paths: readonly string[]): void {
  process.stderr.write(
    paths.length === 0
      ? `• ${name}: nothing changed\n`
      : `• ${name}: changed ${paths.join(', ')}\n`,
  );
}

/** Whether any flag of `set` was given (commander leaves unused ones undefined or []). */
function anySet(o: SpecOptions): boolean {
  const { values, valuesFile, helmSet, helmSetString, kustomizeImage, syncOption, dependsOn } = o;
  const lists = [values, valuesFile, helmSet, helmSetString, kustomizeImage, syncOption, dependsOn];
  const scalars = [
    o.repo,
    o.path,
    o.revision,
    o.destServer,
    o.destName,
    o.destNamespace,
    o.valuesLiteralFile,
    o.releaseName,
    o.namePrefix,
    o.nameSuffix,
    o.directoryRecurse,
    o.syncPolicy,
    o.autoSync,
    o.autoPrune,
    o.selfHeal,
    o.project,
  ];
  return lists.some((l) => l.length > 0) || scalars.some((v) => v !== undefined);
}

export function setCommand(): Command {
  const cmd = new Command('set')
    .description('change an Application: source, destination, Helm values, images, sync policy')
    .argument('<name>');
  addSpecOptions(cmd, 'set').addHelpText(
    'after',
    '\nExamples:\n' +
      '  sluice app set guestbook --revision v2 --dest-namespace guestbook-v2\n' +
      '  sluice app set shop --values values-production.yaml --helm-set replicas=3\n' +
      '  sluice app set web --kustomize-image ghcr.io/org/web:3f2a9c1\n' +
      '  sluice app set guestbook --auto-sync        # resume after a rollback',
  );
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: GlobalOptions & SpecOptions) => {
    if (!anySet(o)) throw usageError('nothing to set', 'see `sluice app set --help`');
    const literal = await readValuesLiteral(o);
    const paths = await withKube(o, (kube) =>
      editSpec(kube, o.appNamespace, name, (spec) => applySpecFlags(spec, o, literal)),
    );
    report(name, paths);
  });
}

export function unsetCommand(): Command {
  const cmd = new Command('unset')
    .description('remove Helm values, parameters, images or options from an Application')
    .argument('<name>')
    .option('--values <file>', 'a Helm values file (repeatable)', collect, [])
    .option('--values-literal', 'the inline Helm values')
    .option('--helm-set <name>', 'a Helm parameter, by name (repeatable)', collect, [])
    .addOption(
      new Option('-p, --parameter <name>', 'same as --helm-set (argocd)')
        .argParser(collect)
        .default([]),
    )
    .option('--release-name', 'the Helm release name')
    .option(
      '--kustomize-image <name>',
      'a Kustomize image override, by image name (repeatable)',
      collect,
      [],
    )
    .option('--name-prefix', 'the Kustomize name prefix')
    .option('--name-suffix', 'the Kustomize name suffix')
    .option(
      '--sync-option <name>',
      'a sync option, by name, e.g. CreateNamespace (repeatable)',
      collect,
      [],
    )
    .addHelpText(
      'after',
      '\nExample:\n  sluice app unset shop --values values-production.yaml --helm-set replicas',
    );
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, o: GlobalOptions & UnsetFlags & { parameter: string[] }) => {
      const u: UnsetFlags = { ...o, helmSet: [...o.helmSet, ...o.parameter] };
      const lists = [u.values, u.helmSet, u.kustomizeImage, u.syncOption];
      const flags = [u.valuesLiteral, u.releaseName, u.namePrefix, u.nameSuffix];
      if (!lists.some((l) => l.length > 0) && !flags.some(Boolean))
        throw usageError('nothing to unset', 'see `sluice app unset --help`');
      const paths = await withKube(o, (kube) =>
        editSpec(kube, o.appNamespace, name, (spec) => unsetSpecFlags(spec, u)),
      );
      report(name, paths);
    },
  );
}

export function patchCommand(): Command {
  const cmd = new Command('patch')
    .description('patch an Application (as `argocd app patch`)')
    .argument('<name>')
    .requiredOption('--patch <json>', 'the patch, as JSON')
    .addOption(
      new Option('--type <type>', 'JSON patch (RFC 6902) or merge patch (RFC 7386)')
        .choices(['json', 'merge'])
        .default('json'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        `  sluice app patch guestbook --patch '[{"op": "replace", "path": "/spec/source/targetRevision", "value": "v2"}]'\n` +
        `  sluice app patch guestbook --type merge --patch '{"spec": {"destination": {"namespace": "gb"}}}'`,
    );
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: GlobalOptions & { patch: string; type: PatchType }) => {
    const patch = parsePatch(o.patch, o.type);
    await withKube(o, async (kube) => {
      const app = await getApp(kube, o.appNamespace, name);
      if (o.type === 'merge') {
        await kube.mergePatch(app, patch);
      } else {
        const info = await kube.discovery.resolve(API_VERSION, KIND);
        await kube.client.request({
          method: 'PATCH',
          path: resourcePath(info, o.appNamespace, name),
          verb: 'patch',
          body: patch,
          contentType: 'application/json-patch+json',
          object: `${KIND}/${o.appNamespace}/${name}`,
        });
      }
    });
    process.stderr.write(`• ${o.appNamespace}/${name} patched\n`);
  });
}
