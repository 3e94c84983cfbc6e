/** `sluice app create`: builds an Application from argocd-style flags and creates (or updates) it. */
import { Command, Option } from 'commander';
import {
  API_VERSION,
  KIND,
  type Application,
  type ApplicationSpec,
} from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { FINALIZER } from '../../gitops/annotations.ts';
import { addClusterOptions, withKube, type GlobalOptions } from '../context.ts';

interface CreateOptions extends GlobalOptions {
  repo: string;
  path?: string;
  revision?: string;
  destNamespace?: string;
  destServer?: string;
  syncPolicy?: 'automated' | 'none';
  autoPrune?: boolean;
  selfHeal?: boolean;
  syncOption: string[];
  valuesFile: string[];
  helmSet: string[];
  releaseName?: string;
  kustomizeImage: string[];
  directoryRecurse?: boolean;
  dependsOn: string[];
  upsert?: boolean;
  project?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function buildSpec(o: CreateOptions): ApplicationSpec {
  const spec: ApplicationSpec = {
    project: o.project ?? 'default',
    source: { repoURL: o.repo, targetRevision: o.revision ?? 'HEAD', path: o.path ?? '.' },
    destination: {
      server: o.destServer ?? 'https://kubernetes.default.svc',
      ...(o.destNamespace ? { namespace: o.destNamespace } : {}),
    },
  };
  if (o.valuesFile.length > 0 || o.helmSet.length > 0 || o.releaseName) {
    spec.source.helm = {
      ...(o.valuesFile.length > 0 ? { valueFiles: o.valuesFile } : {}),
      ...(o.releaseName ? { releaseName: o.releaseName } : {}),
      ...(o.helmSet.length > 0
        ? {
            parameters: o.helmSet.map((s) => {
              const i = s.indexOf('=');
              if (i < 1)
                throw new SluiceError('BadFlag', `--helm-set "${s}" must look like name=value`, {
                  exitCode: 2,
                });
              return { name: s.slice(0, i), value: s.slice(i + 1) };
            }),
          }
        : {}),
    };
  }
  if (o.kustomizeImage.length > 0) spec.source.kustomize = { images: o.kustomizeImage };
  if (o.directoryRecurse) spec.source.directory = { recurse: true };
  if (o.syncPolicy === 'automated' || o.autoPrune || o.selfHeal) {
    spec.syncPolicy = { automated: { prune: Boolean(o.autoPrune), selfHeal: Boolean(o.selfHeal) } };
  }
  if (o.syncOption.length > 0) spec.syncPolicy = { ...spec.syncPolicy, syncOptions: o.syncOption };
  if (o.dependsOn.length > 0) spec.dependsOn = o.dependsOn.map((d) => ({ name: d }));
  return spec;
}

export function createCommand(): Command {
  const cmd = new Command('create')
    .description('create an Application (flags as in `argocd app create`)')
    .argument('<name>', 'Application name')
    .requiredOption('--repo <url>', 'Git repository URL (https, ssh or file://)')
    .option('--path <path>', 'directory in the repository', '.')
    .option('--revision <rev>', 'branch, tag or commit to follow', 'HEAD')
    .option('--dest-namespace <ns>', 'namespace for namespaced objects that set none')
    .option('--dest-server <url>', 'destination API server', 'https://kubernetes.default.svc')
    .addOption(
      new Option('--sync-policy <policy>', 'sync automatically on every change').choices([
        'automated',
        'none',
      ]),
    )
    .option('--auto-prune', 'with automated sync: delete what left Git')
    .option('--self-heal', 'with automated sync: revert changes made in the cluster')
    .option(
      '--sync-option <opt>',
      'CreateNamespace=true, PruneLast=true, ... (repeatable)',
      collect,
      [],
    )
    .option(
      '--values-file <file>',
      'Helm values file, relative to the chart (repeatable)',
      collect,
      [],
    )
    .option('--helm-set <name=value>', 'Helm parameter (repeatable)', collect, [])
    .option('--release-name <name>', 'Helm release name (default: the app name)')
    .option(
      '--kustomize-image <image>',
      'Kustomize image override, e.g. ghcr.io/org/app:3f2a9c1 (repeatable)',
      collect,
      [],
    )
    .option('--directory-recurse', 'plain YAML: include subdirectories')
    .option(
      '--depends-on <app>',
      'wait for this Application to be Synced and Healthy (repeatable)',
      collect,
      [],
    )
    .option('--project <name>', 'project', 'default')
    .option('--upsert', 'update the Application if it exists')
    .addHelpText(
      'after',
      '\nExample:\n  sluice app create guestbook --repo https://git.example.com/org/deploy.git --path guestbook \\\n' +
        '    --revision main --dest-namespace default --sync-policy automated --auto-prune --self-heal \\\n' +
        '    --sync-option CreateNamespace=true',
    );
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: CreateOptions) => {
    const app: Application = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: o.appNamespace, finalizers: [FINALIZER] },
      spec: buildSpec(o),
    };
    await withKube(o, async (kube) => {
      if (!(await kube.get('v1', 'Namespace', undefined, o.appNamespace))) {
        await kube.create({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: o.appNamespace },
        });
      }
      const existing = await kube.get<Application>(API_VERSION, KIND, o.appNamespace, name);
      if (existing && !o.upsert) {
        throw new SluiceError('AppExists', `Application ${o.appNamespace}/${name} already exists`, {
          hint: 'add --upsert to replace its spec',
        });
      }
      if (existing) await kube.mergePatch(existing, { spec: app.spec });
      else await kube.create(app);
      process.stderr.write(
        `• application ${o.appNamespace}/${name} ${existing ? 'updated' : 'created'}\n`,
      );
    });
  });
}
