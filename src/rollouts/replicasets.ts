/**
 * A Rollout's ReplicaSets: one per pod template, named `<rollout>-<hash>`, owned by the Rollout
 * (deleted with it), its pods labelled with the hash so each version can be selected alone.
 * Label and annotation names are Argo Rollouts', so its tools (and ours) read them the same.
 */
import type { Rollout } from '../api/rollout.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ReplicaSetInfo } from './canary.ts';

/** The field manager of every write the Rollout controller makes. */
export const FIELD_MANAGER = 'sluice-rollouts';
export const HASH_LABEL = 'rollouts-pod-template-hash';
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
/** When an old blue-green version may go to 0 (RFC 3339), as Argo Rollouts records it. */
export const SCALE_DOWN_ANNOTATION = 'argo-rollouts.argoproj.io/scale-down-deadline';

export interface ReplicaSet extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: Record<string, unknown>;
    minReadySeconds?: number;
  };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

export function newReplicaSet(ro: Rollout, hash: string, revision: number): ReplicaSet {
  const template = ro.spec.template as PodTemplate;
  const match = (ro.spec.selector as { matchLabels?: Record<string, string> }).matchLabels ?? {};
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${ro.metadata.name}-${hash}`,
      namespace: ro.metadata.namespace,
      labels: { ...template.metadata?.labels, [HASH_LABEL]: hash },
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [
        {
          apiVersion: ro.apiVersion,
          kind: ro.kind,
          name: ro.metadata.name,
          uid: ro.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      ...(ro.spec.minReadySeconds !== undefined
        ? { minReadySeconds: ro.spec.minReadySeconds }
        : {}),
      selector: { matchLabels: { ...match, [HASH_LABEL]: hash } },
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: { ...template.metadata?.labels, [HASH_LABEL]: hash },
        },
      },
    },
  };
}

export function replicaSetInfo(rs: ReplicaSet): ReplicaSetInfo {
  return {
    name: rs.metadata.name ?? '',
    hash: rs.metadata.labels?.[HASH_LABEL] ?? '',
    revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0),
    replicas: rs.spec?.replicas ?? 0,
    // Only pods the ReplicaSet's current spec counts: a stale status after a scale-down reads 0.
    availableReplicas: Math.min(rs.status?.availableReplicas ?? 0, rs.spec?.replicas ?? 0),
  };
}
