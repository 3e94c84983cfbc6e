/**
 * A work queue of keys (`namespace/name`), like client-go's: a key is queued at most once; a key
 * added while it is being processed runs again right after; at most `concurrency` keys run at
 * once; failures back off per key (exponential with jitter) and, across keys, through a token
 * bucket (so a thousand failing objects cannot hammer the API server); `addAfter` schedules a
 * later run.
 *
 * Each key may carry flags of the controller's own type `F` (e.g. GitOps' "fetch the source
 * first"); flags of a key added twice are combined with the controller's `mergeFlags`.
 */
export interface QueueResult {
  requeueAfterMs?: number;
}

export interface WorkQueueOptions<F extends object> {
  concurrency: number;
  handler: (key: string, flags: F) => Promise<QueueResult>;
  /** Combines the flags of a key added again before it ran (default: the later one's fields win). */
  mergeFlags?: (a: F, b: F) => F;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Retries after failures, across all keys: this many per second, with this burst. */
  retryRate?: { perSecond: number; burst: number };
}

type Defaults = 'baseBackoffMs' | 'maxBackoffMs' | 'mergeFlags' | 'retryRate';

export class WorkQueue<F extends object = Record<string, never>> {
  private readonly opts: Required<Pick<WorkQueueOptions<F>, Defaults>> &
    Omit<WorkQueueOptions<F>, Defaults>;
  private readonly bucket: TokenBucket;
  private readonly queue: string[] = [];
  private readonly queued = new Map<string, F>();
  private readonly active = new Set<string>();
  private readonly dirty = new Map<string, F>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout; flags: F }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  processed = 0;

  constructor(options: WorkQueueOptions<F>) {
    this.opts = {
      baseBackoffMs: 250,
      maxBackoffMs: 60_000,
      mergeFlags: (a, b) => ({ ...a, ...b }),
      retryRate: { perSecond: 50, burst: 500 },
      ...options,
    };
    this.bucket = new TokenBucket(this.opts.retryRate.perSecond, this.opts.retryRate.burst);
  }

  /** Keys waiting to run (not counting ones running or scheduled for later). */
  get depth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  add(key: string, flags: F = {} as F): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      const dirty = this.dirty.get(key);
      this.dirty.set(key, dirty ? this.opts.mergeFlags(dirty, flags) : flags);
      return;
    }
    const existing = this.queued.get(key);
    if (existing) {
      this.queued.set(key, this.opts.mergeFlags(existing, flags));
      return;
    }
    this.queued.set(key, flags);
    this.queue.push(key);
    this.pump();
  }

  /** Runs `key` after `ms`, unless an earlier run is already scheduled. */
  addAfter(key: string, ms: number, flags: F = {} as F): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key, flags);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) {
      existing.flags = this.opts.mergeFlags(existing.flags, flags);
      return;
    }
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      const t = this.timers.get(key);
      this.timers.delete(key);
      this.add(key, t?.flags ?? flags);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer, flags });
  }

  /** Forget a key entirely (its object was deleted). */
  forget(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t.timer);
    this.timers.delete(key);
    this.failures.delete(key);
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      const flags = this.queued.get(key) ?? ({} as F);
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key, flags);
    }
  }

  private async process(key: string, flags: F): Promise<void> {
    try {
      const result = await this.opts.handler(key, flags);
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.opts.baseBackoffMs * 2 ** (n - 1), this.opts.maxBackoffMs);
      const jittered = Math.max(
        Math.round(delay * (0.8 + Math.random() * 0.4)),
        this.bucket.take(Date.now()),
      );
      this.opts.onError?.(key, err, jittered);
      this.addAfter(key, jittered, flags);
    } finally {
      this.processed++;
      this.active.delete(key);
      this.running--;
      const again = this.dirty.get(key);
      if (again) {
        this.dirty.delete(key);
        this.add(key, again);
      }
      this.pump();
      if (this.running === 0 && this.queue.length === 0)
        for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Stops taking work; resolves when the items in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Tokens refill at `perSecond` up to `burst`; `take` says how long to wait for one (ms). */
export class TokenBucket {
  private tokens: number;
  private last = 0;
  private readonly perSecond: number;
  private readonly burst: number;

  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
  }

  take(now: number): number {
    if (this.last)
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
