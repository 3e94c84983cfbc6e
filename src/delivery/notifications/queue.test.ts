/**
 * The delivery queue with a scripted transport (the real HTTP path is tested end to end in
 * test/e2e/notifications*.test.ts): retries, timeouts, lanes that never wait for each other,
 * a bounded backlog, stop.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryError } from './errors.ts';
import {
  DeliveryQueue,
  type DeliveryJob,
  type DeliveryOutcome,
  type Transport,
  type TransportResponse,
} from './queue.ts';

const FAST = { retries: 3, initialMs: 5, factor: 2, maxMs: 20 };

/** A transport answering each URL from its script; `hang` never answers (until aborted). */
function scripted(script: Record<string, Array<number | 'hang' | 'refused'>>): {
  transport: Transport;
  calls: string[];
} {
  const calls: string[] = [];
  const transport: Transport = (req, signal) => {
    calls.push(req.url);
    const next = script[req.url]?.shift() ?? 200;
    if (next === 'refused') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (next === 'hang') {
      return new Promise<TransportResponse>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    }
    return Promise.resolve({ status: next, retryAfter: next === 429 ? '0' : null, excerpt: '' });
  };
  return { transport, calls };
}

function job(
  url: string,
  o: Partial<DeliveryJob> = {},
): { job: DeliveryJob; outcome: Promise<DeliveryOutcome> } {
  let done!: (x: DeliveryOutcome) => void;
  const outcome = new Promise<DeliveryOutcome>((r) => (done = r));
  return {
    outcome,
    job: {
      lane: url,
      concurrency: 1,
      timeoutMs: 1000,
      policy: FAST,
      prepare: () => Promise.resolve({ method: 'POST', url, headers: {}, body: '{}' }),
      done,
      ...o,
    },
  };
}

describe('DeliveryQueue', () => {
  it('retries 5xx, 429 and refused connections, then delivers once', async () => {
    const { transport, calls } = scripted({ a: [500, 'refused', 429, 200] });
    const q = new DeliveryQueue({ transport });
    const { job: j, outcome } = job('a');
    q.push(j);
    expect(await outcome).toMatchObject({ result: 'Delivered', attempts: 4, code: 200 });
    expect(calls).toEqual(['a', 'a', 'a', 'a']);
  });

  it('gives up after the retry limit, with the last reason', async () => {
    const { transport } = scripted({ a: [500, 500, 500, 503] });
    const q = new DeliveryQueue({ transport });
    const { job: j, outcome } = job('a');
    q.push(j);
    const o = await outcome;
    expect(o).toMatchObject({ result: 'Failed', attempts: 4, code: 503 });
    expect(o.error?.reason).toBe('HTTPError');
  });

  it('does not retry a 4xx', async () => {
    const { transport, calls } = scripted({ a: [403] });
    const q = new DeliveryQueue({ transport });
    const { job: j, outcome } = job('a');
    q.push(j);
    expect(await outcome).toMatchObject({ result: 'Failed', attempts: 1, code: 403 });
    expect(calls).toHaveLength(1);
  });

  it('times out a hanging receiver without holding up another destination', async () => {
    const { transport } = scripted({ slow: ['hang', 'hang', 'hang', 'hang'], fast: [200] });
    const q = new DeliveryQueue({ transport });
    const slow = job('slow', { timeoutMs: 300, policy: { ...FAST, retries: 1 } });
    const fast = job('fast');
    q.push(slow.job);
    q.push(fast.job);
    const started = Date.now();
    expect(await fast.outcome).toMatchObject({ result: 'Delivered' });
    expect(Date.now() - started).toBeLessThan(250);
    const o = await slow.outcome;
    expect(o).toMatchObject({ result: 'Failed', attempts: 2 });
    expect(o.error?.reason).toBe('Timeout');
  });

  it('keeps a lane to its concurrency and drops the oldest beyond the backlog', async () => {
    const { transport } = scripted({ a: ['hang', 200, 200, 200] });
    const q = new DeliveryQueue({ transport, maxQueued: 2 });
    const jobs = [0, 1, 2, 3].map(() =>
      job('a', { timeoutMs: 200, policy: { ...FAST, retries: 0 } }),
    );
    for (const j of jobs) q.push(j.job);
    const outcomes = await Promise.all(jobs.map((j) => j.outcome));
    expect(outcomes.map((o) => o.error?.reason ?? o.result)).toEqual([
      'Timeout',
      'QueueFull',
      'Delivered',
      'Delivered',
    ]);
  });

  it('fails at once what cannot be prepared', async () => {
    const { transport, calls } = scripted({});
    const q = new DeliveryQueue({ transport });
    const { job: j, outcome } = job('a', {
      prepare: () => Promise.reject(new DeliveryError('SecretNotFound', 'no Secret')),
    });
    q.push(j);
    expect(await outcome).toMatchObject({ result: 'Failed', attempts: 0 });
    expect(calls).toEqual([]);
  });

  it('stop cancels what is still waiting or hanging after the grace period', async () => {
    const { transport } = scripted({ a: ['hang'] });
    const q = new DeliveryQueue({ transport });
    const first = job('a', { timeoutMs: 60_000 });
    const second = job('a');
    q.push(first.job);
    q.push(second.job);
    await q.stop(50);
    expect((await first.outcome).error?.reason).toBe('Cancelled');
    expect((await second.outcome).error?.reason).toBe('Cancelled');
    expect(q.pending).toBe(0);
  });
});
