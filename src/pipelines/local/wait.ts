/**
 * Two small waits of the local run's loop: `Wakeup`, which the loop sleeps on until a child
 * changes (or the engine's requeue time passes) — a change while it was busy is not lost —
 * and `Slots`, at most n TaskRuns at once, first come first served.
 */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }

  /** Returns at the next change (at once if one came since the last wait) or after `ms`. */
  async wait(ms?: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((res) => {
        const timer = ms === undefined ? undefined : setTimeout(() => this.notify(), ms);
        this.resolve = () => {
          clearTimeout(timer);
          res();
        };
      });
    }
    this.pending = false;
  }
}

export class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];

  constructor(n: number) {
    this.free = n;
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((res) => this.queue.push(res));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free++;
    }
  }
}
