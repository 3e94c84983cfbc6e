/**
 * `sluice rollout undo | set-image`: the commands that change the pod template (template.ts
 * decides what). The new template is sent as a merge patch computed against the template read,
 * so fields the old revision lacks are removed, guarded by the resourceVersion (re-read and
 * retried on a conflict). A new template is a new revision: the controller rolls it out with
 * the Rollout's strategy.
 */
import { Command } from 'commander';
import type { Rollout } from '../../api/rollout.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { createMergePatch } from '../../kube/mergepatch.ts';
import { usageError } from '../app/flags.ts';
import { HASH_LABEL, getRollout, type PodTemplate, type ReplicaSet } from './objects.ts';
import {
  addRolloutOptions,
  FIELD_MANAGER,
  withRolloutKube,
  type RolloutOptions,
} from './options.ts';
import { parseImageAssignment, setImages, undoTarget, type ImageAssignment } from './template.ts';

/** What to write, decided from the Rollout as read; a string: nothing to write, and why. */
type TemplateEdit = (ro: Rollout) => Promise<{ template: PodTemplate; said: string } | string>;

/** Writes the template `edit` returns; resolves with what to tell the person. */
async function editTemplate(
  kube: Kube,
  namespace: string,
  name: string,
  edit: TemplateEdit,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const ro = await getRollout(kube, namespace, name);
    const next = await edit(ro);
    if (typeof next === 'string') return next;
    try {
      await kube.mergePatch(
        ro,
        {
          metadata: { resourceVersion: ro.metadata.resourceVersion },
          spec: { template: createMergePatch(ro.spec.template ?? {}, next.template) },
        },
        { fieldManager: FIELD_MANAGER },
      );
      return next.said;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
    }
  }
}

const parseRevision = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`--to-revision must be a revision number (1, 2, ...), got "${v}"`);
  return n;
};

export function undoCommand(): Command {
  const cmd = new Command('undo')
    .description(
      "go back to an earlier revision: copies that revision's pod template (kept on its ReplicaSet) into the Rollout; default: the previous revision",
    )
    .argument('<name>', 'the Rollout')
    .option('--to-revision <n>', 'the revision to go back to', parseRevision)
    .addHelpText(
      'after',
      '\nThe revisions are on `sluice rollout get NAME`.\n' +
        'Examples:\n  sluice rollout undo checkout -n shop\n  sluice rollout undo checkout --to-revision 3',
    );
  addRolloutOptions(cmd);
  return cmd.action(async (name: string, o: RolloutOptions & { toRevision?: number }) => {
    await withRolloutKube(o, async (kube, namespace) => {
      const said = await editTemplate(kube, namespace, name, async (ro) => {
        const sets = await kube.list<ReplicaSet>('apps/v1', 'ReplicaSet', {
          namespace,
          labelSelector: HASH_LABEL,
        });
        const owned = sets.items.filter((rs) =>
          (rs.metadata.ownerReferences ?? []).some((r) => r.uid === ro.metadata.uid),
        );
        const t = undoTarget(ro, owned, o.toRevision);
        if (t.unchanged) return `already runs the template of revision ${t.revision}`;
        return {
          template: t.template,
          said: `goes back to revision ${t.revision} (the template of ReplicaSet ${t.replicaSet})`,
        };
      });
      process.stderr.write(`• Rollout/${namespace}/${name} ${said}\n`);
    });
  });
}

export function setImageCommand(): Command {
  const cmd = new Command('set-image')
    .description('change container images in the pod template: a new revision to roll out')
    .argument('<name>', 'the Rollout')
    .argument('<container=image...>', 'CONTAINER=IMAGE (init containers too); *=IMAGE sets all')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice rollout set-image checkout web=localhost:5000/sample-app:v2 -n shop\n' +
        "  sluice rollout set-image checkout '*=localhost:5000/sample-app:v2'",
    );
  addRolloutOptions(cmd);
  return cmd.action(async (name: string, pairs: string[], o: RolloutOptions) => {
    const assignments: ImageAssignment[] = pairs.map(parseImageAssignment);
    await withRolloutKube(o, async (kube, namespace) => {
      const said = await editTemplate(kube, namespace, name, (ro) => {
        const { template, changed } = setImages(ro, assignments);
        return Promise.resolve(
          changed.length === 0
            ? 'already runs these images'
            : { template, said: `images set: ${changed.join('; ')}` },
        );
      });
      process.stderr.write(`• Rollout/${namespace}/${name} ${said}\n`);
    });
  });
}
