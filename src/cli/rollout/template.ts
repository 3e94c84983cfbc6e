/**
 * The two operations that change a Rollout's pod template, decided here without a cluster:
 *
 * - undo: the template of an earlier revision, read from the ReplicaSet that ran it (annotation
 *   `rollout.argoproj.io/revision`), without the `rollouts-pod-template-hash` label the
 *   controller added. Default: the revision before the current one.
 * - set-image: `CONTAINER=IMAGE` for containers and init containers; `*=IMAGE` sets them all.
 */
import type { Rollout } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import { jsonEqual } from '../../util/json.ts';
import { usageError } from '../app/flags.ts';
import { HASH_LABEL, type Container, type PodTemplate, type ReplicaSet } from './objects.ts';
import { revisionOf } from './view.ts';

const refOf = (ro: Rollout): string => `Rollout/${ro.metadata.namespace}/${ro.metadata.name}`;

function refuseWorkloadRef(ro: Rollout, what: string): void {
  const w = ro.spec.workloadRef;
  if (w) {
    throw new SluiceError(
      'UsesWorkloadRef',
      `${refOf(ro)}: ${what} changes spec.template, but this Rollout takes its template from ${w.kind}/${w.name} (workloadRef)`,
      { hint: `change the ${w.kind} instead, e.g. \`kubectl set image deployment/${w.name} ...\`` },
    );
  }
}

export interface UndoTarget {
  revision: number;
  replicaSet: string;
  template: PodTemplate;
  /** The Rollout already runs this template: nothing to write. */
  unchanged: boolean;
}

/** The template without the hash label the controller put on it. */
function withoutHash(template: PodTemplate): PodTemplate {
  const copy = structuredClone(template);
  const labels = copy.metadata?.labels;
  if (labels && HASH_LABEL in labels) {
    delete labels[HASH_LABEL];
    if (Object.keys(labels).length === 0 && copy.metadata) delete copy.metadata.labels;
  }
  return copy;
}

/** Picks the revision `undo` goes back to and the template it writes. */
export function undoTarget(
  ro: Rollout,
  replicaSets: readonly ReplicaSet[],
  toRevision?: number,
): UndoTarget {
  refuseWorkloadRef(ro, 'undo');
  const byRevision = replicaSets
    .flatMap((rs) => {
      const revision = revisionOf(rs);
      return revision === undefined || !rs.spec?.template ? [] : [{ revision, rs }];
    })
    .sort((a, b) => b.revision - a.revision);
  const known = byRevision.map((r) => r.revision).join(', ') || 'none';
  const currentHash = ro.status?.currentPodHash;
  const current =
    byRevision.find((r) => r.rs.metadata.labels?.[HASH_LABEL] === currentHash)?.revision ??
    byRevision[0]?.revision;
  const target =
    toRevision === undefined
      ? byRevision.find((r) => current !== undefined && r.revision < current)
      : byRevision.find((r) => r.revision === toRevision);
  if (!target) {
    throw toRevision === undefined
      ? new SluiceError(
          'NoPreviousRevision',
          `${refOf(ro)}: no revision before ${current ?? 'the current one'} to go back to`,
          {
            hint: `its ReplicaSets have revisions: ${known}`,
          },
        )
      : new SluiceError('RevisionNotFound', `${refOf(ro)}: revision ${toRevision} not found`, {
          hint: `its ReplicaSets have revisions: ${known} (older ones are gone with revisionHistoryLimit)`,
          exitCode: 3,
        });
  }
  const template = withoutHash(target.rs.spec?.template ?? {});
  return {
    revision: target.revision,
    replicaSet: target.rs.metadata.name ?? '',
    template,
    unchanged: jsonEqual(template, ro.spec.template ?? {}),
  };
}

export interface ImageAssignment {
  container: string;
  image: string;
}

/** `web=registry/web:2` (or `*=registry/web:2`). */
export function parseImageAssignment(s: string): ImageAssignment {
  const eq = s.indexOf('=');
  const container = s.slice(0, Math.max(0, eq));
  const image = s.slice(eq + 1);
  if (eq < 1 || !image) {
    throw usageError(
      `"${s}" must look like CONTAINER=IMAGE`,
      'e.g. `sluice rollout set-image web app=localhost:5000/sample-app:v2` (`*=IMAGE` sets every container)',
    );
  }
  return { container, image };
}

export interface ImageChange {
  template: PodTemplate;
  /** `web: old -> new` for every container whose image changed. */
  changed: string[];
}

/** Sets images in a Rollout's template; every named container must exist. */
export function setImages(ro: Rollout, assignments: readonly ImageAssignment[]): ImageChange {
  refuseWorkloadRef(ro, 'set-image');
  const template = structuredClone((ro.spec.template ?? {}) as PodTemplate);
  const spec = template.spec ?? {};
  const all: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const changed: string[] = [];
  for (const a of assignments) {
    const targets = all.filter((c) => a.container === '*' || c.name === a.container);
    if (targets.length === 0) {
      throw new SluiceError(
        'ContainerNotFound',
        `${refOf(ro)}: no container named ${a.container}`,
        {
          hint: `its containers: ${all.map((c) => c.name).join(', ') || 'none'}`,
        },
      );
    }
    for (const c of targets) {
      if (c.image === a.image) continue;
      changed.push(`${c.name}: ${c.image ?? '(none)'} -> ${a.image}`);
      c.image = a.image;
    }
  }
  return { template, changed };
}
