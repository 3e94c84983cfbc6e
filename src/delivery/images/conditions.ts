/**
 * Status bookkeeping shared by the three image kinds: kstatus conditions (Ready, and Stalled for
 * what only a change of the spec can fix) with reasons as data, the reconcile-now annotation,
 * and when an object is due again.
 */
import {
  FLUX_REQUESTED_AT_ANNOTATION,
  REQUESTED_AT_ANNOTATION,
  type Condition,
} from '../../api/image.ts';
import type { KubeObject } from '../../kube/types.ts';

/** Why an object is (not) Ready; Flux's reasons where Flux has one. */
export type ImageReason =
  | 'Succeeded'
  | 'Progressing'
  | 'ImageURLInvalid'
  | 'AuthenticationFailed'
  /** Sluice: the registry did not answer (refused, timed out, 5xx). */
  | 'RegistryUnavailable'
  | 'ReadOperationFailed'
  | 'DependencyNotReady'
  | 'AccessDenied'
  /** Sluice: the policy cannot be used as written. */
  | 'InvalidPolicy'
  /** Sluice: the tags offer none the policy accepts (yet). */
  | 'NoMatchingTag'
  | 'InvalidSourceConfiguration'
  | 'GitOperationFailed'
  | 'UpdateFailed'
  | 'InvalidPolicySelector'
  /** Sluice: a field Flux has that Sluice does not act on. */
  | 'Unsupported';

export interface Readiness {
  ready: 'True' | 'False' | 'Unknown';
  reason: ImageReason;
  message: string;
  /** Only a change of the spec helps: no retry until then. */
  stalled?: boolean;
}

const clip = (s: string): string => (s.length > 1000 ? `${s.slice(0, 997)}...` : s);

/** Ready (and Stalled when set), keeping lastTransitionTime while a status stays the same. */
export function conditions(
  old: readonly Condition[] | undefined,
  r: Readiness,
  generation: number | undefined,
  now: string,
): Condition[] {
  const make = (type: string, status: Condition['status']): Condition => {
    const prev = old?.find((c) => c.type === type);
    return {
      type,
      status,
      reason: r.reason,
      message: clip(r.message),
      lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? now) : now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  };
  const out = [make('Ready', r.ready)];
  if (r.stalled === true) out.push(make('Stalled', 'True'));
  return out;
}

export function readyCondition(obj: {
  status?: { conditions?: Condition[] };
}): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The reconcile-now request on an object: Sluice's annotation, else Flux's. */
export function requestedAt(obj: KubeObject): string | undefined {
  const a = obj.metadata.annotations;
  return a?.[REQUESTED_AT_ANNOTATION] ?? a?.[FLUX_REQUESTED_AT_ANNOTATION];
}

/** Milliseconds until an object run at `last` (ISO time) is due again every `intervalMs`. */
export function dueIn(last: string | undefined, intervalMs: number, now: number): number {
  const t = last ? Date.parse(last) : NaN;
  if (Number.isNaN(t)) return 0;
  return Math.max(0, t + intervalMs - now);
}

/**
 * Whether this reconcile must do the work now, and else when to come back: on a new generation,
 * a reconcile-now request, a last run that failed (retried at the caller's pace), or the
 * interval since the last run.
 */
export function isDue(
  obj: KubeObject & {
    status?: {
      observedGeneration?: number;
      lastHandledReconcileAt?: string;
      conditions?: Condition[];
    };
  },
  last: string | undefined,
  intervalMs: number,
  now: number,
): { due: true } | { due: false; inMs: number } {
  const changed = obj.metadata.generation !== obj.status?.observedGeneration;
  const asked = requestedAt(obj);
  const failed = readyCondition(obj)?.status === 'False';
  if (changed || failed || (asked !== undefined && asked !== obj.status?.lastHandledReconcileAt))
    return { due: true };
  const inMs = dueIn(last, intervalMs, now);
  return inMs === 0 ? { due: true } : { due: false, inMs };
}
