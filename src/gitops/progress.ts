/**
 * Progress of a long step over many objects (applying a wave, pruning, a cascade delete): counts
 * what is done and reports "done/total" at most every `everyMs`, so a step over 20,000 objects
 * says how far it is every couple of seconds and a quick step says nothing extra.
 */
export class ProgressCounter {
  private done = 0;
  private last: number;
  private readonly total: number;
  private readonly report: (done: number, total: number) => void;
  private readonly now: () => number;
  private readonly everyMs: number;

  constructor(
    total: number,
    report: (done: number, total: number) => void,
    now: () => number = Date.now,
    everyMs = 2000,
  ) {
    this.total = total;
    this.report = report;
    this.now = now;
    this.everyMs = everyMs;
    this.last = now();
  }

  /** `n` more are done; reports when `everyMs` passed since the last report. */
  tick(n = 1): void {
    this.done += n;
    const t = this.now();
    if (t - this.last < this.everyMs) return;
    this.last = t;
    this.report(this.done, this.total);
  }

  /** Counts as it maps: `items` through `fn`, ticking after each. */
  wrap<T, R>(fn: (item: T) => Promise<R>): (item: T) => Promise<R> {
    return async (item) => {
      const r = await fn(item);
      this.tick();
      return r;
    };
  }
}
