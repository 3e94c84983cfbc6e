/**
 * A delivery that cannot go out, or did not: its reason is data (`FailureReason`, kept in the
 * Notification's status), its message names the Notification, the destination and the event's
 * object, and `retryable` says whether trying again can help.
 */
import type { FailureReason } from '../../api/notification.ts';
import { SluiceError } from '../../errors.ts';

export class DeliveryError extends SluiceError {
  readonly reason: FailureReason;
  readonly retryable: boolean;
  /** The HTTP status, when the receiver answered. */
  readonly status: number | undefined;
  /** How long the receiver asked us to wait (429 Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    reason: FailureReason,
    message: string,
    o: { retryable?: boolean; status?: number; retryAfterMs?: number; hint?: string } = {},
  ) {
    super(reason, message, o.hint ? { hint: o.hint } : {});
    this.name = 'DeliveryError';
    this.reason = reason;
    this.retryable = o.retryable ?? false;
    this.status = o.status;
    this.retryAfterMs = o.retryAfterMs;
  }
}
