/**
 * `sluice image repository|policy|update list|get|reconcile`: image update automation as
 * `flux get images` and `flux reconcile image` users know it. `reconcile` sets the
 * `sluice.dev/requestedAt` annotation (the controller also honours Flux's
 * `reconcile.fluxcd.io/requestedAt`) and waits until the controller has handled it.
 */
import { Command } from 'commander';
import { API_VERSION } from '../../api/application.ts';
import {
  IMAGE_POLICY_KIND,
  IMAGE_REPOSITORY_KIND,
  IMAGE_UPDATE_AUTOMATION_KIND,
  REQUESTED_AT_ANNOTATION,
  type Condition,
} from '../../api/image.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { parseDuration } from '../../gitops/duration.ts';
import { whileBusy } from '../app/common.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { addRolloutOptions, withRolloutKube, type RolloutOptions } from '../rollout/options.ts';
import { renderImage, renderImageList, type ImageKind } from './render.ts';
import { signingCommands } from './sign.ts';

const KINDS: Record<ImageKind, { kind: string; what: string; example: string }> = {
  repository: {
    kind: IMAGE_REPOSITORY_KIND,
    what: 'ImageRepositories (registry repositories scanned for tags)',
    example: 'web',
  },
  policy: {
    kind: IMAGE_POLICY_KIND,
    what: 'ImagePolicies (the latest image by a policy)',
    example: 'web',
  },
  update: {
    kind: IMAGE_UPDATE_AUTOMATION_KIND,
    what: 'ImageUpdateAutomations (selected images committed to Git)',
    example: 'deploy',
  },
};

type Status = { status?: { conditions?: Condition[]; lastHandledReconcileAt?: string } };

async function getOne(
  kube: Kube,
  kind: ImageKind,
  namespace: string,
  name: string,
): Promise<KubeObject & Status> {
  const o = await kube.get<KubeObject & Status>(API_VERSION, KINDS[kind].kind, namespace, name);
  if (!o)
    throw new SluiceError('NotFound', `${KINDS[kind].kind} ${namespace}/${name} not found`, {
      exitCode: 3,
    });
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function listCommand(kind: ImageKind): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description(`list ${KINDS[kind].what}`)
    .addOption(outputOption())
    .option('-A, --all-namespaces', 'in every namespace')
    .addHelpText(
      'after',
      `\nExamples:\n  sluice image ${kind} list -n apps\n  sluice image ${kind} list -A -o json`,
    );
  addRolloutOptions(cmd);
  return cmd.action(
    async (o: RolloutOptions & { output: OutputFormat; allNamespaces?: boolean }) => {
      await withRolloutKube(o, async (kube, namespace) => {
        const list = await whileBusy(() =>
          kube.list(API_VERSION, KINDS[kind].kind, o.allNamespaces ? {} : { namespace }),
        );
        const items = list.items.sort((a, b) =>
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
            `${b.metadata.namespace}/${b.metadata.name}`,
          ),
        );
        printData(o.output, items, () =>
          items.length === 0
            ? `no ${KINDS[kind].kind}s in ${o.allNamespaces ? 'any namespace' : `namespace ${namespace}`}\n`
            : renderImageList(kind, items, o.allNamespaces === true, new Date()),
        );
      });
    },
  );
}

function getCommand(kind: ImageKind): Command {
  const cmd = new Command('get')
    .description(`show one of the ${KINDS[kind].what}, with its status and conditions`)
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `\nExamples:\n  sluice image ${kind} get ${KINDS[kind].example} -n apps\n  sluice image ${kind} get ${KINDS[kind].example} -o yaml`,
    );
  addRolloutOptions(cmd);
  return cmd.action(async (name: string, o: RolloutOptions & { output: OutputFormat }) => {
    await withRolloutKube(o, async (kube, namespace) => {
      const obj = await getOne(kube, kind, namespace, name);
      printData(o.output, obj, () => renderImage(kind, obj, new Date()));
    });
  });
}

/** Sets the request annotation; with `wait`, waits until the controller has handled it. */
async function requestReconcile(
  kube: Kube,
  kind: ImageKind,
  namespace: string,
  name: string,
  wait: boolean,
  timeoutMs: number,
): Promise<KubeObject & Status> {
  const obj = await getOne(kube, kind, namespace, name);
  const stamp = new Date().toISOString();
  await kube.mergePatch(obj, { metadata: { annotations: { [REQUESTED_AT_ANNOTATION]: stamp } } });
  if (!wait) return obj;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await getOne(kube, kind, namespace, name);
    if (now.status?.lastHandledReconcileAt === stamp) return now;
    if (Date.now() > deadline)
      throw new SluiceError(
        'Timeout',
        `${KINDS[kind].kind} ${namespace}/${name}: not reconciled within ${Math.round(timeoutMs / 1000)}s`,
        {
          exitCode: 4,
          hint: 'is `sluice controller` running (without --no-image-automation)?',
        },
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

function reconcileCommand(kind: ImageKind): Command {
  const cmd = new Command('reconcile')
    .description(
      `${kind === 'repository' ? 'scan' : kind === 'policy' ? 'select' : 'run'} now instead of at the next interval; waits for the result`,
    )
    .argument('<name>')
    .option('--no-wait', 'ask and return at once')
    .option('--timeout <duration>', 'how long to wait', '60s')
    .addHelpText(
      'after',
      `\nExit codes: 0 Ready, 1 not Ready, 4 timed out.\nExamples:\n  sluice image ${kind} reconcile ${KINDS[kind].example} -n apps`,
    );
  addRolloutOptions(cmd);
  return cmd.action(
    async (name: string, o: RolloutOptions & { wait: boolean; timeout: string }) => {
      await withRolloutKube(o, async (kube, namespace) => {
        const obj = await requestReconcile(
          kube,
          kind,
          namespace,
          name,
          o.wait,
          parseDuration(o.timeout, 60_000),
        );
        if (!o.wait) {
          process.stdout.write(`asked ${KINDS[kind].kind} ${namespace}/${name} to reconcile\n`);
          return;
        }
        const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
        process.stdout.write(
          `${KINDS[kind].kind} ${namespace}/${name}: ${ready?.reason ?? 'Unknown'}: ${ready?.message ?? ''}\n`,
        );
        if (ready?.status !== 'True') process.exitCode = 1;
      });
    },
  );
}

function kindCommand(kind: ImageKind, alias: string): Command {
  return new Command(kind)
    .alias(alias)
    .summary(`${KINDS[kind].what}: list, get, reconcile`)
    .addCommand(listCommand(kind))
    .addCommand(getCommand(kind))
    .addCommand(reconcileCommand(kind))
    .addHelpText(
      'after',
      `\nExamples:\n  sluice image ${kind} list -n apps\n  sluice image ${kind} reconcile ${KINDS[kind].example} -n apps`,
    );
}

export function imageCommand(): Command {
  const cmd = new Command('image')
    .alias('images')
    .summary(
      'image update automation (repository, policy, update) and cosign-compatible signatures (sign, verify, generate-key-pair)',
    )
    .description(
      'Flux\'s image update automation with apiVersion sluice.dev/v1alpha1: ImageRepositories are scanned for tags, ImagePolicies select the latest image, ImageUpdateAutomations commit it to Git through setter markers (# {"$imagepolicy": "ns:policy"}).',
    )
    .addCommand(kindCommand('repository', 'repo'))
    .addCommand(kindCommand('policy', 'pol'))
    .addCommand(kindCommand('update', 'automation'))
    .addHelpText(
      'after',
      '\nExamples:\n  sluice image policy list -A\n  sluice image update get deploy -n apps -o yaml\n  sluice image repository reconcile web -n apps\n  sluice image sign localhost:5000/shop/web:3f2a9c1 --key cosign.key\n  sluice image verify localhost:5000/shop/web:3f2a9c1 --key cosign.pub',
    );
  for (const c of signingCommands()) cmd.addCommand(c);
  return cmd;
}
