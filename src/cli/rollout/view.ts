/**
 * What `sluice rollout get` shows, as data: built from a Rollout, its ReplicaSets, Pods and
 * AnalysisRuns at a given moment, then rendered as text (render.ts) or printed as JSON/YAML.
 * Pure: the same objects always give the same view.
 *
 * Roles come from the Rollout's status: `stable` is the ReplicaSet whose hash is
 * `status.stableRS`; `canary` the one of `status.currentPodHash` while it is not stable; for
 * blue-green, `active` / `preview` are the hashes in `status.blueGreen.activeSelector` /
 * `previewSelector`.
 */
import type { AnalysisRun } from '../../api/analysis.ts';
import type { Rollout } from '../../api/rollout.ts';
import { assessHealth } from '../../health/index.ts';
import {
  HASH_LABEL,
  REVISION_ANNOTATION,
  type Pod,
  type ReplicaSet,
  type RolloutTree,
} from './objects.ts';
import { analysisRunView, currentRuns, type AnalysisRunView } from './analysis-view.ts';
import { actualWeightOf, setWeightOf, stale } from './progress.ts';

export type { AnalysisRunView, MeasurementView, MetricView } from './analysis-view.ts';

export type Role = 'stable' | 'canary' | 'active' | 'preview';

export interface PodView {
  name: string;
  status: string;
  ready: string;
  restarts: number;
  createdAt?: string;
}

export interface ReplicaSetView {
  name: string;
  hash: string;
  revision?: number;
  roles: Role[];
  status: string;
  desired: number;
  ready: number;
  available: number;
  images: string[];
  createdAt?: string;
  pods: PodView[];
}

export interface RevisionView {
  revision?: number;
  replicaSets: ReplicaSetView[];
  analysisRuns: AnalysisRunView[];
}

export interface RolloutView {
  name: string;
  namespace: string;
  strategy: 'Canary' | 'BlueGreen';
  phase: string;
  message?: string;
  aborted: boolean;
  /** The spec changed and the controller has not reported on it yet. */
  stale: boolean;
  step?: { index: number; count: number };
  setWeight?: number;
  actualWeight?: number;
  images: Array<{ image: string; roles: Role[] }>;
  replicas: { desired: number; current: number; updated: number; ready: number; available: number };
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
  revisions: RevisionView[];
}

const hashOf = (obj: ReplicaSet | AnalysisRun): string => obj.metadata.labels?.[HASH_LABEL] ?? '';

export function revisionOf(obj: ReplicaSet | AnalysisRun): number | undefined {
  const v = obj.metadata.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export function rolesOf(ro: Rollout, hash: string): Role[] {
  const s = ro.status;
  if (!hash || !s) return [];
  const roles: Role[] = [];
  if (s.stableRS === hash) roles.push('stable');
  if (ro.spec.strategy.blueGreen) {
    if (s.blueGreen?.activeSelector === hash) roles.push('active');
    if (s.blueGreen?.previewSelector === hash && s.blueGreen.activeSelector !== hash)
      roles.push('preview');
  } else if (s.currentPodHash === hash && s.stableRS !== hash) roles.push('canary');
  return roles;
}

function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  for (const c of p.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason) return reason;
  }
  return p.status?.reason ?? p.status?.phase ?? 'Pending';
}

function podView(p: Pod): PodView {
  const statuses = p.status?.containerStatuses ?? [];
  const ready = statuses.filter((c) => c.ready).length;
  const total = p.spec?.containers?.length ?? statuses.length;
  return {
    name: p.metadata.name ?? '',
    status: podStatus(p),
    ready: `${ready}/${total}`,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(p.metadata.creationTimestamp ? { createdAt: p.metadata.creationTimestamp } : {}),
  };
}

/** ScaledDown when it has no pods and wants none; otherwise its health. */
function replicaSetStatus(rs: ReplicaSet): string {
  const scaledDown = rs.spec?.replicas === 0 && !rs.status?.replicas;
  return scaledDown ? 'ScaledDown' : assessHealth(rs).status;
}

function podsOf(rs: ReplicaSet, pods: readonly Pod[]): PodView[] {
  return pods
    .filter((p) => (p.metadata.ownerReferences ?? []).some((o) => o.uid === rs.metadata.uid))
    .map(podView)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function replicaSetView(ro: Rollout, rs: ReplicaSet, pods: readonly Pod[]): ReplicaSetView {
  const revision = revisionOf(rs);
  const { creationTimestamp } = rs.metadata;
  return {
    name: rs.metadata.name ?? '',
    hash: hashOf(rs),
    ...(revision !== undefined ? { revision } : {}),
    roles: rolesOf(ro, hashOf(rs)),
    status: replicaSetStatus(rs),
    desired: rs.spec?.replicas ?? 1,
    ready: rs.status?.readyReplicas ?? 0,
    available: rs.status?.availableReplicas ?? 0,
    images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
    ...(creationTimestamp ? { createdAt: creationTimestamp } : {}),
    pods: podsOf(rs, pods),
  };
}

/** Groups ReplicaSets and AnalysisRuns by revision, newest first. */
function revisionsOf(tree: RolloutTree): RevisionView[] {
  const { rollout: ro } = tree;
  const current = currentRuns(ro);
  const sets = tree.replicaSets.map((rs) => replicaSetView(ro, rs, tree.pods));
  const revisionByHash = new Map(sets.map((s) => [s.hash, s.revision]));
  const byRevision = new Map<number | undefined, RevisionView>();
  const bucket = (revision: number | undefined): RevisionView => {
    const found = byRevision.get(revision);
    if (found) return found;
    const created: RevisionView = {
      ...(revision !== undefined ? { revision } : {}),
      replicaSets: [],
      analysisRuns: [],
    };
    byRevision.set(revision, created);
    return created;
  };
  for (const s of sets) bucket(s.revision).replicaSets.push(s);
  for (const ar of tree.analysisRuns) {
    const revision = revisionByHash.get(hashOf(ar)) ?? revisionOf(ar);
    bucket(revision).analysisRuns.push(analysisRunView(ar, current));
  }
  for (const r of byRevision.values()) {
    r.analysisRuns.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }
  return [...byRevision.values()].sort((a, b) => (b.revision ?? -1) - (a.revision ?? -1));
}

function imagesOf(revisions: readonly RevisionView[]): RolloutView['images'] {
  const out = new Map<string, Set<Role>>();
  for (const rs of revisions.flatMap((r) => r.replicaSets)) {
    if (rs.roles.length === 0 && rs.desired === 0) continue;
    for (const image of rs.images) {
      const roles = out.get(image) ?? new Set<Role>();
      rs.roles.forEach((r) => roles.add(r));
      out.set(image, roles);
    }
  }
  // Oldest first: the stable image above the canary's, as people read a rollout.
  return [...out].reverse().map(([image, roles]) => ({ image, roles: [...roles] }));
}

function stepOf(ro: Rollout): RolloutView['step'] {
  const steps = ro.spec.strategy.canary?.steps;
  if (!steps || steps.length === 0) return undefined;
  return { index: Math.min(ro.status?.currentStepIndex ?? 0, steps.length), count: steps.length };
}

function replicasOf(ro: Rollout): RolloutView['replicas'] {
  const s = ro.status;
  return {
    desired: ro.spec.replicas ?? 1,
    current: s?.replicas ?? 0,
    updated: s?.updatedReplicas ?? 0,
    ready: s?.readyReplicas ?? 0,
    available: s?.availableReplicas ?? 0,
  };
}

function conditionsOf(ro: Rollout): RolloutView['conditions'] {
  return (ro.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
}

/** Step and weights: canaries only. */
function canaryPart(tree: RolloutTree): Pick<RolloutView, 'step' | 'setWeight' | 'actualWeight'> {
  const ro = tree.rollout;
  if (ro.spec.strategy.blueGreen) return {};
  const step = stepOf(ro);
  const actual = actualWeightOf(ro, tree.replicaSets);
  return {
    ...(step ? { step } : {}),
    setWeight: setWeightOf(ro),
    ...(actual !== undefined ? { actualWeight: actual } : {}),
  };
}

/** The view of a Rollout and what it owns. */
export function rolloutView(tree: RolloutTree): RolloutView {
  const ro = tree.rollout;
  const s = ro.status;
  const revisions = revisionsOf(tree);
  return {
    name: ro.metadata.name,
    namespace: ro.metadata.namespace,
    strategy: ro.spec.strategy.blueGreen ? 'BlueGreen' : 'Canary',
    phase: s?.phase ?? 'Unknown',
    ...(s?.message ? { message: s.message } : {}),
    aborted: s?.abort === true,
    stale: stale(ro),
    ...canaryPart(tree),
    images: imagesOf(revisions),
    replicas: replicasOf(ro),
    conditions: conditionsOf(ro),
    revisions,
  };
}
