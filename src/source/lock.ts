/**
 * A readers-writer lock for one mirror: reads (resolving, extracting trees, reading commits) run
 * together; a write (clone, fetch and the gc it may trigger) runs alone. Waiting writers go
 * before readers that arrive after them, so a steady stream of reads cannot starve a fetch.
 */
export class RWLock {
  private readers = 0;
  private writing = false;
  private readonly queue: Array<{ write: boolean; wake: () => void }> = [];

  /** Runs `task` alongside other readers, never during a write. */
  read<T>(task: () => Promise<T>): Promise<T> {
    return this.run(false, task);
  }

  /** Runs `task` alone. */
  write<T>(task: () => Promise<T>): Promise<T> {
    return this.run(true, task);
  }

  private canEnter(write: boolean): boolean {
    return write ? !this.writing && this.readers === 0 : !this.writing;
  }

  private enter(write: boolean): void {
    if (write) this.writing = true;
    else this.readers++;
  }

  private async run<T>(write: boolean, task: () => Promise<T>): Promise<T> {
    if (this.queue.length === 0 && this.canEnter(write)) this.enter(write);
    // drain() calls enter() for us before waking us.
    else await new Promise<void>((wake) => this.queue.push({ write, wake }));
    try {
      return await task();
    } finally {
      if (write) this.writing = false;
      else this.readers--;
      this.drain();
    }
  }

  private drain(): void {
    for (let next = this.queue[0]; next && this.canEnter(next.write); next = this.queue[0]) {
      this.queue.shift();
      this.enter(next.write);
      next.wake();
    }
  }
}
