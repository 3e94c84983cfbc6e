/** Condition bookkeeping for Application status (Ready / Reconciling / Stalled), kstatus style. */
import type { AppCondition } from '../api/application.ts';
import { clip } from './summary.ts';

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

/** Reasons a Ready condition can carry; each failure has its own (after Flux). */
export type Reason =
  | 'Succeeded'
  | 'Progressing'
  | 'OutOfSync'
  | 'Syncing'
  | 'SyncFailed'
  | 'SourceFailed'
  | 'RenderFailed'
  | 'PreflightFailed'
  | 'EmptyRender'
  | 'InvalidInventory'
  | 'DependencyNotReady'
  | 'InvalidSpec'
  | 'Degraded'
  | 'AutoSyncPaused'
  | 'Deleting'
  | 'PruneFailed'
  | 'InvalidDestination'
  | 'ClusterUnreachable'
  | 'ValidationFailed'
  /** The controller died twice in a row while rendering this app (quarantine.ts). */
  | 'Quarantined'
  /** The app's AppProject refuses its source, destination or objects (projects/). */
  | 'ProjectRefused'
  /** The app names an AppProject that does not exist. */
  | 'ProjectNotFound'
  /** A revision gate (gates.ts) could not decide: a registry, key or Secret it needs failed. */
  | 'GateFailed'
  /** spec.source.verify: the commit is unsigned, or signed by a key the Secret does not hold. */
  | 'UnverifiedCommit'
  /** spec.source.verify (Tag, TagAndHEAD): the tag is lightweight, unsigned or by an unknown key. */
  | 'UnverifiedTag'
  /** An object of the revision violates an Enforce policy (src/policy/preflight.ts). */
  | 'PolicyViolation'
  /** An image of the revision has no signature (spec.verifyImages; src/images/verify). */
  | 'UnsignedImage'
  /** An image's signatures are not by a trusted key, or are for another digest. */
  | 'ImageVerifyFailed';

/** Sets (or replaces) a condition; lastTransitionTime only moves when the status flips. */
export function setCondition(
  conditions: AppCondition[],
  type: ConditionType,
  status: 'True' | 'False' | 'Unknown',
  reason: Reason,
  message: string,
  now: string,
): AppCondition[] {
  const old = conditions.find((c) => c.type === type);
  const next: AppCondition = {
    type,
    status,
    reason,
    // A condition names a few objects, never all of them: its size does not grow with the app.
    message: clip(message, 2000),
    lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? now) : now,
  };
  return [...conditions.filter((c) => c.type !== type), next].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
}

export function removeCondition(conditions: AppCondition[], type: ConditionType): AppCondition[] {
  return conditions.filter((c) => c.type !== type);
}

export function getCondition(
  conditions: readonly AppCondition[] | undefined,
  type: ConditionType,
): AppCondition | undefined {
  return conditions?.find((c) => c.type === type);
}
