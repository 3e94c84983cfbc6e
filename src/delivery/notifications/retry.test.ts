/** Which answers are retried, after how long. */
import { describe, expect, it } from 'vitest';
import { DeliveryError } from './errors.ts';
import {
  backoffMs,
  classifyResponse,
  DEFAULT_RETRY,
  nextWait,
  parseRetryAfter,
  retryPolicy,
} from './retry.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('classifyResponse', () => {
  const cases: Array<{
    status: number;
    retryAfter?: string;
    want: undefined | { reason: string; retryable: boolean; retryAfterMs?: number };
  }> = [
    { status: 200, want: undefined },
    { status: 201, want: undefined },
    { status: 204, want: undefined },
    { status: 301, want: { reason: 'HTTPError', retryable: false } },
    { status: 400, want: { reason: 'HTTPError', retryable: false } },
    { status: 401, want: { reason: 'HTTPError', retryable: false } },
    { status: 404, want: { reason: 'HTTPError', retryable: false } },
    { status: 422, want: { reason: 'HTTPError', retryable: false } },
    { status: 429, want: { reason: 'RateLimited', retryable: true } },
    {
      status: 429,
      retryAfter: '3',
      want: { reason: 'RateLimited', retryable: true, retryAfterMs: 3000 },
    },
    {
      status: 429,
      retryAfter: 'Tue, 01 Dec 2026 12:00:07 GMT',
      want: { reason: 'RateLimited', retryable: true, retryAfterMs: 7000 },
    },
    { status: 429, retryAfter: '3600', want: { reason: 'RateLimited', retryable: false } },
    { status: 500, want: { reason: 'HTTPError', retryable: true } },
    { status: 503, want: { reason: 'HTTPError', retryable: true } },
  ];
  it.each(cases)('$status $retryAfter', ({ status, retryAfter, want }) => {
    const got = classifyResponse(status, retryAfter, 'body', NOW);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject({ ...want, status });
  });

  it('says what the receiver answered', () => {
    expect(classifyResponse(400, null, 'bad field', NOW)?.message).toBe('HTTP 400: bad field');
  });
});

describe('backoff', () => {
  it('doubles from the first wait up to the cap, with jitter between half and all', () => {
    const p = { retries: 10, initialMs: 1000, factor: 2, maxMs: 5000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(p, n, () => 1))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(backoffMs(p, 2, () => 0)).toBe(1000);
  });

  it('reads the retry spec as Application retry specs read', () => {
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY);
    expect(
      retryPolicy({ limit: 2, backoff: { duration: '100ms', factor: 3, maxDuration: '2s' } }),
    ).toEqual({
      retries: 2,
      initialMs: 100,
      factor: 3,
      maxMs: 2000,
    });
  });

  it('stops after the limit and for what is not retryable', () => {
    const p = { retries: 2, initialMs: 100, factor: 2, maxMs: 1000 };
    const e500 = new DeliveryError('HTTPError', 'x', { retryable: true });
    expect(nextWait(p, e500, 0, () => 1)).toBe(100);
    expect(nextWait(p, e500, 1, () => 1)).toBe(200);
    expect(nextWait(p, e500, 2, () => 1)).toBeUndefined();
    expect(nextWait(p, new DeliveryError('HTTPError', '404'), 0)).toBeUndefined();
    const e429 = new DeliveryError('RateLimited', 'x', { retryable: true, retryAfterMs: 4000 });
    expect(nextWait(p, e429, 0)).toBe(4000);
  });

  it.each([
    { v: undefined, want: undefined },
    { v: 'soon', want: undefined },
    { v: '0', want: 0 },
    { v: 'Tue, 01 Dec 2026 11:00:00 GMT', want: 0 },
  ])('parseRetryAfter($v)', ({ v, want }) => expect(parseRetryAfter(v, NOW)).toBe(want));
});
