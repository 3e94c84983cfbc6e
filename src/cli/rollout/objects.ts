/**
 * What `sluice rollout` reads: a Rollout and the objects it owns, found the way Argo Rollouts'
 * kubectl plugin finds them, so the CLI works with any controller that writes the same marks:
 *
 * - ReplicaSets owned by the Rollout (ownerReference uid), each labelled
 *   `rollouts-pod-template-hash` and annotated `rollout.argoproj.io/revision` (a number);
 * - their Pods (ownerReference to the ReplicaSet; the same hash label);
 * - AnalysisRuns owned by the Rollout, labelled with the hash of the revision they judge.
 */
import type { AnalysisRun } from '../../api/analysis.ts';
import { API_VERSION } from '../../api/application.ts';
import { ANALYSIS_RUN_KIND } from '../../api/analysis.ts';
import { ROLLOUT_KIND, type Rollout } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { whileBusy } from '../app/common.ts';

export { HASH_LABEL, REVISION_ANNOTATION } from '../../rollouts/replicasets.ts';
import { HASH_LABEL } from '../../rollouts/replicasets.ts';

export interface Container {
  name: string;
  image?: string;
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: Container[]; initContainers?: Container[]; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string } };
}

export interface Pod extends KubeObject {
  spec?: { containers?: Container[] };
  status?: { phase?: string; reason?: string; containerStatuses?: ContainerStatus[] };
}

/** A Rollout with everything it owns. */
export interface RolloutTree {
  rollout: Rollout;
  replicaSets: ReplicaSet[];
  pods: Pod[];
  analysisRuns: AnalysisRun[];
}

export const rolloutRef = (
  namespace: string,
  name: string,
): Pick<Rollout, 'apiVersion' | 'kind' | 'metadata'> => ({
  apiVersion: API_VERSION,
  kind: ROLLOUT_KIND,
  metadata: { name, namespace },
});

export class RolloutNotFoundError extends SluiceError {
  constructor(namespace: string, name: string) {
    super('RolloutNotFound', `Rollout/${namespace}/${name} not found`, {
      hint: `list them with \`sluice rollout list -n ${namespace}\` (or -A for every namespace)`,
      exitCode: 3,
    });
    this.name = 'RolloutNotFoundError';
  }
}

export async function getRollout(kube: Kube, namespace: string, name: string): Promise<Rollout> {
  const ro = await whileBusy(() => kube.get<Rollout>(API_VERSION, ROLLOUT_KIND, namespace, name));
  if (!ro) throw new RolloutNotFoundError(namespace, name);
  return ro;
}

/** Is `obj` owned by the object with this uid? */
export const ownedBy = (obj: KubeObject, uid: string | undefined): boolean =>
  uid !== undefined && (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid);

/** Keeps, of everything listed in the namespace, what belongs to `rollout`. */
export function treeOf(
  rollout: Rollout,
  all: { replicaSets: ReplicaSet[]; pods: Pod[]; analysisRuns: AnalysisRun[] },
): RolloutTree {
  const replicaSets = all.replicaSets.filter((rs) => ownedBy(rs, rollout.metadata.uid));
  const rsUids = new Set(replicaSets.map((rs) => rs.metadata.uid));
  const pods = all.pods.filter((p) =>
    (p.metadata.ownerReferences ?? []).some((o) => rsUids.has(o.uid)),
  );
  const analysisRuns = all.analysisRuns.filter((ar) => ownedBy(ar, rollout.metadata.uid));
  return { rollout, replicaSets, pods, analysisRuns };
}

/** Reads a Rollout and what it owns (one request per kind). */
export async function readTree(kube: Kube, namespace: string, name: string): Promise<RolloutTree> {
  const rollout = await getRollout(kube, namespace, name);
  const byHash = { namespace, labelSelector: HASH_LABEL };
  const [replicaSets, pods, analysisRuns] = await Promise.all([
    kube.list<ReplicaSet>('apps/v1', 'ReplicaSet', byHash),
    kube.list<Pod>('v1', 'Pod', byHash),
    kube.list<AnalysisRun>(API_VERSION, ANALYSIS_RUN_KIND, { namespace }),
  ]);
  return treeOf(rollout, {
    replicaSets: replicaSets.items,
    pods: pods.items,
    analysisRuns: analysisRuns.items,
  });
}
