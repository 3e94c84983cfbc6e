/**
 * A work queue of keys (`namespace/name`), like client-go's: a key is queued at most once; a key
 * added while it is being processed runs again right after; at most `concurrency` keys run at
 * once; failures back off per key (exponential with jitter); `addAfter` schedules a later run.
 */
export interface QueueResult {
  requeueAfterMs?: number;
}

export interface ItemFlags {
  /**
   * Fetch sources before reconciling: `always` (poll, webhook, user refresh), or `ifStale` (a new
   * or changed app: unless the repository was fetched in the last few seconds).
   */
  refresh?: 'always' | 'ifStale';
}

export interface WorkQueueOptions {
  concurrency: number;
  handler: (key: string, flags: ItemFlags) => Promise<QueueResult>;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  private readonly opts: Required<Omit<WorkQueueOptions, 'onError'>> &
    Pick<WorkQueueOptions, 'onError'>;
  private readonly queue: string[] = [];
  private readonly queued = new Map<string, ItemFlags>();
  private readonly active = new Set<string>();
  private readonly dirty = new Map<string, ItemFlags>();
  private readonly timers = new Map<
    string,
    { at: number; timer: NodeJS.Timeout; flags: ItemFlags }
  >();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  processed = 0;

  constructor(options: WorkQueueOptions) {
    this.opts = { baseBackoffMs: 250, maxBackoffMs: 60_000, ...options };
  }

  /** Keys waiting to run (not counting ones running or scheduled for later). */
  get depth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  add(key: string, flags: ItemFlags = {}): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.set(key, merge(this.dirty.get(key), flags));
      return;
    }
    const existing = this.queued.get(key);
    if (existing) {
      this.queued.set(key, merge(existing, flags));
      return;
    }
    this.queued.set(key, flags);
    this.queue.push(key);
    this.pump();
  }

  /** Runs `key` after `ms`, unless an earlier run is already scheduled. */
  addAfter(key: string, ms: number, flags: ItemFlags = {}): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key, flags);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) {
      existing.flags = merge(existing.flags, flags);
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
      const flags = this.queued.get(key) ?? {};
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key, flags);
    }
  }

  private async process(key: string, flags: ItemFlags): Promise<void> {
    try {
      const result = await this.opts.handler(key, flags);
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.opts.baseBackoffMs * 2 ** (n - 1), this.opts.maxBackoffMs);
      const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
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

function merge(a: ItemFlags | undefined, b: ItemFlags): ItemFlags {
  const refresh =
    a?.refresh === 'always' || b.refresh === 'always' ? 'always' : (a?.refresh ?? b.refresh);
  return refresh ? { refresh } : {};
}
