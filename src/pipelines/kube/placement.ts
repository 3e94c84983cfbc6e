/**
 * Tasks of one run that share a PVC workspace land on one node (a ReadWriteOnce volume can be
 * attached to one node at a time, and a local volume is only on one). Sibling TaskRuns are those
 * with the same owner (their PipelineRun) binding the same claim; the first to get a node decides
 * for the rest: a TaskRun records its pod's node in `status.nodeName`, and a sibling's pod is
 * made with `nodeSelector: {kubernetes.io/hostname: <node>}`. While a sibling's pod is made but
 * not yet scheduled, the others wait for it, so two parallel tasks never pick two nodes.
 *
 * On a volume that already pins its node (the dev cluster's `sluice-local` volumes have node
 * affinity) this changes nothing: the scheduler would have chosen that node anyway.
 */
import type { TaskRun } from '../../api/pipeline.ts';
import { type Pod, podName } from './pods.ts';

/** The index of TaskRuns by shared claim: `<namespace>/<owner uid>/<claim>`. */
export const SHARED_CLAIM_INDEX = 'sharedClaims';

export function sharedClaimKeys(tr: TaskRun): string[] {
  const owner = tr.metadata.ownerReferences?.find((r) => r.controller)?.uid;
  if (!owner) return [];
  return (tr.spec.workspaces ?? [])
    .map((b) => b.persistentVolumeClaim?.claimName)
    .filter((c): c is string => c !== undefined)
    .map((c) => `${tr.metadata.namespace}/${owner}/${c}`);
}

export type Placement = { node?: string } | 'wait';

export interface PlacementView {
  siblings(key: string): readonly TaskRun[];
  /** The pod by name, from the cache or just created (the cache may not have it yet). */
  pod(namespace: string, name: string): Pod | undefined;
}

const isDone = (tr: TaskRun): boolean =>
  tr.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status !== 'Unknown') ?? false;

/** Where `tr`'s pod must go: a sibling's node, nowhere in particular, or wait for a sibling. */
export function placementOf(tr: TaskRun, view: PlacementView): Placement {
  let wait = false;
  for (const key of sharedClaimKeys(tr)) {
    for (const s of view.siblings(key)) {
      if (s.metadata.name === tr.metadata.name) continue;
      const attempt = s.status?.retriesStatus?.length ?? 0;
      const pod = view.pod(s.metadata.namespace, podName(s.metadata.name, attempt));
      const node = s.status?.nodeName ?? pod?.spec.nodeName;
      if (node) return { node };
      if (pod && !isDone(s)) wait = true;
    }
  }
  return wait ? 'wait' : {};
}
