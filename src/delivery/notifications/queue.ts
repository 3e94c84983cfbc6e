/**
 * The delivery queue: every send happens here, apart from whatever detected the event, so a
 * failing or slow receiver never holds up a sync, a reconcile or another destination.
 *
 * - One lane per destination (`namespace/notification/destination`), each running at most its
 *   `concurrency` deliveries at once; lanes never wait for each other.
 * - Each attempt has a timeout; a failed attempt waits its backoff inside its own lane (retry.ts).
 * - A lane holds at most `maxQueued` waiting deliveries: past that the oldest is dropped and
 *   recorded as failed (`QueueFull`), so a dead receiver cannot grow memory without bound.
 * - `stop(graceMs)` lets deliveries in flight finish for a while, then cancels them (`Cancelled`).
 */
import { DeliveryError } from './errors.ts';
import type { HttpRequest } from './requests.ts';
import { classifyResponse, nextWait, type RetryPolicy } from './retry.ts';

export interface TransportResponse {
  status: number;
  retryAfter: string | null;
  /** The start of the response body, for the failure message. */
  excerpt: string;
}

/** Sends one request; rejects on connection errors and when `signal` aborts. */
export type Transport = (req: HttpRequest, signal: AbortSignal) => Promise<TransportResponse>;

export interface DeliveryOutcome {
  result: 'Delivered' | 'Failed';
  attempts: number;
  code?: number;
  error?: DeliveryError;
}

export interface DeliveryJob {
  lane: string;
  concurrency: number;
  timeoutMs: number;
  policy: RetryPolicy;
  /** Builds the request (reads Secrets, renders templates); a DeliveryError fails the job. */
  prepare(): Promise<HttpRequest>;
  done(outcome: DeliveryOutcome): void;
}

export interface QueueOptions {
  transport: Transport;
  maxQueued?: number;
  random?: () => number;
}

interface Lane {
  waiting: DeliveryJob[];
  active: number;
}

const EXCERPT = 200;

/** The default transport: fetch, no redirects followed, the body's start kept for messages. */
export const httpTransport: Transport = async (req, signal) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal,
    redirect: 'manual',
  });
  const text = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    excerpt: text.slice(0, EXCERPT).replace(/\s+/g, ' ').trim(),
  };
};

function asDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('ConnectionError', `${message}${cause}`, { retryable: true });
}

export class DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly transport: Transport;
  private readonly maxQueued: number;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();

  constructor(o: QueueOptions) {
    this.transport = o.transport;
    this.maxQueued = o.maxQueued ?? 500;
    this.random = o.random ?? Math.random;
  }

  /** Deliveries waiting or in flight, over all lanes. */
  get pending(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.waiting.length + l.active;
    return n;
  }

  push(job: DeliveryJob): void {
    if (this.stopping.signal.aborted) {
      job.done(this.cancelled(0));
      return;
    }
    let lane = this.lanes.get(job.lane);
    if (!lane) {
      lane = { waiting: [], active: 0 };
      this.lanes.set(job.lane, lane);
    }
    lane.waiting.push(job);
    while (lane.waiting.length > this.maxQueued) {
      const dropped = lane.waiting.shift();
      dropped?.done({
        result: 'Failed',
        attempts: 0,
        error: new DeliveryError(
          'QueueFull',
          `more than ${this.maxQueued} deliveries waiting for this destination: the oldest was dropped`,
        ),
      });
    }
    this.pump(job.lane, lane);
  }

  /** Waits up to `graceMs` for deliveries in flight, then cancels the rest. */
  async stop(graceMs = 5000): Promise<void> {
    const all = Promise.allSettled([...this.running]);
    const timer = setTimeout(() => this.stopping.abort(), graceMs);
    for (const l of this.lanes.values()) {
      for (const job of l.waiting.splice(0)) job.done(this.cancelled(0));
    }
    await all;
    clearTimeout(timer);
    this.stopping.abort();
  }

  private pump(name: string, lane: Lane): void {
    while (lane.waiting.length > 0 && lane.active < (lane.waiting[0]?.concurrency ?? 1)) {
      const job = lane.waiting.shift();
      if (!job) break;
      lane.active++;
      const p = this.run(job).finally(() => {
        lane.active--;
        this.running.delete(p);
        if (lane.active === 0 && lane.waiting.length === 0) this.lanes.delete(name);
        else this.pump(name, lane);
      });
      this.running.add(p);
    }
  }

  private cancelled(attempts: number): DeliveryOutcome {
    return {
      result: 'Failed',
      attempts,
      error: new DeliveryError('Cancelled', 'the controller stopped before the delivery was done'),
    };
  }

  private async run(job: DeliveryJob): Promise<void> {
    let req: HttpRequest;
    try {
      req = await job.prepare();
    } catch (err) {
      job.done({ result: 'Failed', attempts: 0, error: asDeliveryError(err) });
      return;
    }
    let attempts = 0;
    for (;;) {
      attempts++;
      const { status, error: err } = await this.attempt(req, job.timeoutMs);
      if (!err) return job.done({ result: 'Delivered', attempts, code: status ?? 200 });
      const wait = this.stopping.signal.aborted
        ? undefined
        : nextWait(job.policy, err, attempts - 1, this.random);
      const code = err.status !== undefined ? { code: err.status } : {};
      if (wait === undefined) return job.done({ result: 'Failed', attempts, ...code, error: err });
      if (!(await this.sleep(wait))) return job.done(this.cancelled(attempts));
    }
  }

  /** One attempt: the receiver's status, and why it was not delivered (none when it was). */
  private async attempt(
    req: HttpRequest,
    timeoutMs: number,
  ): Promise<{ status?: number; error?: DeliveryError }> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    try {
      const res = await this.transport(
        req,
        AbortSignal.any([timeout.signal, this.stopping.signal]),
      );
      const error = classifyResponse(res.status, res.retryAfter, res.excerpt, Date.now());
      return { status: res.status, ...(error ? { error } : {}) };
    } catch (err) {
      if (this.stopping.signal.aborted) {
        return { error: new DeliveryError('Cancelled', 'the controller stopped') };
      }
      if (timeout.signal.aborted) {
        const error = new DeliveryError('Timeout', `no answer within ${timeoutMs / 1000}s`, {
          retryable: true,
        });
        return { error };
      }
      return { error: asDeliveryError(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves true after `ms`, false when the queue stops first. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
