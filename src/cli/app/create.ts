/** `sluice app create`: builds an Application from argocd-style flags and creates (or updates) it. */
import { Command } from 'commander';
import { API_VERSION, KIND, type Application } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { FINALIZER } from '../../gitops/annotations.ts';
import { createMergePatch } from '../../kube/mergepatch.ts';
import { addClusterOptions, withKube, type GlobalOptions } from '../context.ts';
import { newSpec } from './spec-edit.ts';
import { addSpecOptions, readValuesLiteral, type SpecOptions } from './spec-options.ts';

type CreateOptions = GlobalOptions & SpecOptions & { upsert?: boolean };

export function createCommand(): Command {
  const cmd = new Command('create')
    .description('create an Application (flags as in `argocd app create`)')
    .argument('<name>', 'Application name');
  addSpecOptions(cmd, 'create')
    .option('--upsert', 'replace the spec if the Application exists')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sluice app create guestbook --repo https://git.example.com/org/deploy.git --path guestbook \\\n' +
        '    --revision main --dest-namespace default --sync-policy automated --auto-prune --self-heal \\\n' +
        '    --sync-option CreateNamespace=true\n' +
        '  sluice app create shop --repo https://git.example.com/org/charts.git --path shop \\\n' +
        '    --dest-name prod --dest-namespace shop --values values-production.yaml --helm-set replicas=3',
    );
  addClusterOptions(cmd);
  return cmd.action(async (name: string, o: CreateOptions) => {
    if (!o.repo)
      throw new SluiceError('BadFlag', 'sluice app create needs --repo', {
        exitCode: 2,
        hint: 'see `sluice app create --help`',
      });
    const spec = newSpec(o, await readValuesLiteral(o));
    const app: Application = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: o.appNamespace, finalizers: [FINALIZER] },
      spec,
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
          hint: 'add --upsert to replace its spec, or change it with `sluice app set`',
        });
      }
      if (existing)
        await kube.mergePatch(existing, {
          metadata: { resourceVersion: existing.metadata.resourceVersion },
          spec: createMergePatch(existing.spec, spec),
        });
      else await kube.create(app);
      process.stderr.write(
        `• application ${o.appNamespace}/${name} ${existing ? 'updated' : 'created'}\n`,
      );
    });
  });
}
