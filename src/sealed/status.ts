/**
 * The SealedSecret's status: one `Synced` condition (Sealed Secrets' type) whose reason is data —
 * `Unsealed` when the Secret holds what the blobs say, else the failure's code — and the
 * generation it speaks for. The times move only when the condition does, so a settled
 * SealedSecret is never written again.
 */
import type {
  SealedSecret,
  SealedSecretCondition,
  SealedSecretStatus,
} from '../api/sealedsecret.ts';
import type { SealedErrorCode } from './errors.ts';

export const SYNCED = 'Synced';

/** Why a SealedSecret is (not) synced: a SealedError's code, or one of the controller's own. */
export type SyncedReason =
  | 'Unsealed'
  | SealedErrorCode
  /** A Secret of that name exists and is not ours to write. */
  | 'SecretNotOwned';

export interface SyncOutcome {
  ok: boolean;
  reason: SyncedReason;
  message: string;
}

export function syncedCondition(ss: SealedSecret): SealedSecretCondition | undefined {
  return ss.status?.conditions?.find((c) => c.type === SYNCED);
}

export function syncedStatus(
  ss: SealedSecret,
  outcome: SyncOutcome,
  now: Date,
): SealedSecretStatus {
  const previous = syncedCondition(ss);
  const status = outcome.ok ? 'True' : 'False';
  const same =
    previous?.status === status &&
    previous.reason === outcome.reason &&
    previous.message === outcome.message;
  const stamp = now.toISOString();
  const condition: SealedSecretCondition =
    same && previous
      ? previous
      : {
          type: SYNCED,
          status,
          reason: outcome.reason,
          message: outcome.message,
          lastUpdateTime: stamp,
          lastTransitionTime:
            previous?.status === status ? (previous.lastTransitionTime ?? stamp) : stamp,
        };
  const others = (ss.status?.conditions ?? []).filter((c) => c.type !== SYNCED);
  return {
    ...(ss.metadata.generation !== undefined ? { observedGeneration: ss.metadata.generation } : {}),
    conditions: [...others, condition],
  };
}
