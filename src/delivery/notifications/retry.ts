/**
 * When to try a delivery again, and after how long (pure):
 *
 * - 2xx: delivered. 5xx, a timeout or a connection error: retried with exponential backoff and
 *   jitter (`duration × factor^n`, capped at `maxDuration`, each wait drawn between half and all
 *   of it, so receivers coming back are not hit by every sender at once).
 * - 429: retried after its `Retry-After` (seconds or an HTTP date; at most 5 minutes, longer is a
 *   failure), else with the backoff.
 * - Other 4xx and 3xx: failed at once; trying again would send the same request to the same
 *   refusal.
 *
 * Defaults: 5 retries, from 1 s doubling to 1 min; one attempt may take 10 s.
 */
import type { RetrySpec } from '../../api/notification.ts';
import { parseDuration } from '../../gitops/duration.ts';
import { DeliveryError } from './errors.ts';

export interface RetryPolicy {
  retries: number;
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, initialMs: 1000, factor: 2, maxMs: 60_000 };
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export function retryPolicy(spec: RetrySpec | undefined): RetryPolicy {
  return {
    retries: spec?.limit ?? DEFAULT_RETRY.retries,
    initialMs: parseDuration(spec?.backoff?.duration, DEFAULT_RETRY.initialMs),
    factor: spec?.backoff?.factor ?? DEFAULT_RETRY.factor,
    maxMs: parseDuration(spec?.backoff?.maxDuration, DEFAULT_RETRY.maxMs),
  };
}

/** The wait before retry number `retry` (1 for the first): jittered between half and all. */
export function backoffMs(
  p: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const full = Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, retry - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What a receiver's answer means: undefined when delivered, else the error to record. */
export function classifyResponse(
  status: number,
  retryAfter: string | null | undefined,
  excerpt: string,
  now: number,
): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const said = excerpt ? `: ${excerpt}` : '';
  if (status === 429) {
    const wait = parseRetryAfter(retryAfter, now);
    if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) {
      return new DeliveryError(
        'RateLimited',
        `HTTP 429, Retry-After ${Math.round(wait / 1000)}s is longer than ${MAX_RETRY_AFTER_MS / 1000}s${said}`,
        { status },
      );
    }
    return new DeliveryError('RateLimited', `HTTP 429${said}`, {
      status,
      retryable: true,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  return new DeliveryError('HTTPError', `HTTP ${status}${said}`, {
    status,
    retryable: status >= 500,
  });
}

/** The wait before the next attempt after `err`, or undefined when there is none. */
export function nextWait(
  p: RetryPolicy,
  err: DeliveryError,
  retriesDone: number,
  random?: () => number,
): number | undefined {
  if (!err.retryable || retriesDone >= p.retries) return undefined;
  return err.retryAfterMs ?? backoffMs(p, retriesDone + 1, random);
}
