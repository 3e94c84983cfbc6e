/**
 * Renders in a small pool of worker threads (worker.ts), each with a V8 heap of its own capped
 * by `resourceLimits`, so that no single app can exhaust the controller's memory: a render
 * that needs more than the cap ends its worker and fails with RenderOutOfMemory ("rendering X
 * needed more than N MiB"); the controller, and every other app, carry on. A render stuck
 * past its timeout is stopped the same way (RenderTimeout).
 *
 * Workers are started on first use and reused (one render at a time each, so a failure is
 * pinned on the app that caused it); an idle worker does not keep the process alive, and after
 * a minute idle it is stopped (each holds ~30 MB). Cost for a
 * small app: the request and objects are copied between threads (structured clone), well
 * under a millisecond; starting a worker costs ~100 ms once. The render cache means a revision
 * is rendered once, so this is paid once per revision, not per reconcile.
 *
 * @example
 * const pool = new RenderPool({ size: 2, heapMb: 512 });
 * const { objects } = await pool.render(req);
 * await pool.close();
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RenderError } from './errors.ts';
import { DEFAULT_RENDER_TIMEOUT_MS } from './index.ts';
import { normalizeAppPath } from './locate.ts';
import type { RenderOptions, RenderRequest, RenderResult } from './types.ts';
import { errorFromData, type JobReply, type RenderJob } from './wire.ts';

const WORKER = new URL('./worker.ts', import.meta.url);

/** Heap of one worker unless SLUICE_RENDER_HEAP_MB or the caller says otherwise. */
export const DEFAULT_RENDER_HEAP_MB = 512;

/** How long past its own timeout a render may run before its worker is stopped. */
const GRACE_MS = 5000;

/** A worker idle this long is stopped (each holds ~30 MB); the next render starts one again. */
const IDLE_MS = 60_000;

export interface RenderPoolOptions {
  /** Workers at most (renders at once). Default: the CPUs, between 2 and 4. */
  size?: number;
  /** Old-generation heap of each worker, MiB. Default $SLUICE_RENDER_HEAP_MB, else 512. */
  heapMb?: number;
  /** Stop a worker idle this long, ms. Default 60 s. */
  idleMs?: number;
}

interface Pending {
  job: RenderJob;
  /** The app path, for messages. */
  what: string;
  resolve: (r: RenderResult) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  pending?: Pending | undefined;
  idle?: NodeJS.Timeout | undefined;
}

export function defaultHeapMb(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SLUICE_RENDER_HEAP_MB']);
  return Number.isFinite(n) && n >= 16 ? Math.floor(n) : DEFAULT_RENDER_HEAP_MB;
}

export class RenderPool {
  readonly size: number;
  readonly heapMb: number;
  private readonly idleMs: number;
  readonly stats = { renders: 0, outOfMemory: 0, crashed: 0, timedOut: 0, workersStarted: 0 };
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: RenderPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? Math.min(4, Math.max(2, availableParallelism())));
    this.heapMb = options.heapMb ?? defaultHeapMb();
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /** Workers running now. */
  get workers(): number {
    return this.slots.length;
  }

  /** Renders `req` in a worker; rejects with the same RenderErrors as `render()`, and more. */
  render(req: RenderRequest, opts: RenderOptions = {}): Promise<RenderResult> {
    if (this.closed)
      return Promise.reject(new RenderError('RenderCrashed', 'the render pool is closed'));
    return new Promise((resolve, reject) => {
      const job = { id: this.nextId++, req, opts };
      this.queue.push({ job, what: normalizeAppPath(req.path), resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; queued and running renders fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new RenderError('RenderCrashed', `rendering ${p.what} was cancelled: stopping`));
    const workers = this.slots.splice(0).map((s) => {
      clearTimeout(s.idle);
      this.settle(s, new RenderError('RenderCrashed', 'rendering was cancelled: stopping'));
      return s.worker.terminate();
    });
    await Promise.all(workers);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.pending === undefined) ?? this.spawn();
      if (!slot) return;
      const next = this.queue.shift() as Pending;
      clearTimeout(slot.idle);
      slot.pending = next;
      slot.worker.ref();
      const timeout = (next.job.opts.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS) + GRACE_MS;
      next.timer = setTimeout(() => this.timedOut(slot), timeout);
      slot.worker.postMessage(next.job);
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const worker = new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    const slot: Slot = { worker };
    worker.on('message', (reply: JobReply) => this.replied(slot, reply));
    worker.on('error', (err: Error) => this.died(slot, err));
    worker.on('exit', (code: number) => this.died(slot, undefined, code));
    worker.unref();
    this.slots.push(slot);
    this.stats.workersStarted++;
    return slot;
  }

  /** Ends the slot's render (if any) with `err`, or with its result. */
  private settle(slot: Slot, err: Error | undefined, result?: RenderResult): void {
    const p = slot.pending;
    if (!p) return;
    slot.pending = undefined;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else if (result) p.resolve(result);
  }

  private replied(slot: Slot, reply: JobReply): void {
    if (slot.pending?.job.id !== reply.id) return;
    this.stats.renders++;
    slot.worker.unref();
    if (reply.ok) this.settle(slot, undefined, reply.result);
    else this.settle(slot, errorFromData(reply.error));
    this.dispatch();
    if (slot.pending === undefined) {
      slot.idle = setTimeout(() => this.retire(slot), this.idleMs);
      slot.idle.unref();
    }
  }

  /** Stops a worker that has been idle for a while. */
  private retire(slot: Slot): void {
    if (slot.pending !== undefined) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }

  /** The worker ended (out of memory, a crash, terminate()): its render fails, a new one starts. */
  private died(slot: Slot, err: Error | undefined, code?: number): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const p = slot.pending;
    if (p) this.settle(slot, this.deathError(p.what, err, code));
    if (!this.closed) this.dispatch();
  }

  private deathError(what: string, err: Error | undefined, code?: number): RenderError {
    if ((err as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      this.stats.outOfMemory++;
      return new RenderError(
        'RenderOutOfMemory',
        `rendering ${what} needed more than ${this.heapMb} MiB of memory and was stopped (the controller and other apps carry on)`,
        {
          file: what,
          hint: `make the app smaller (split it into several apps, or lower what its manifests expand to); the controller's render memory is set with SLUICE_RENDER_HEAP_MB (now ${this.heapMb})`,
        },
      );
    }
    this.stats.crashed++;
    const why = err ? err.message : `exit code ${code ?? '?'}`;
    return new RenderError('RenderCrashed', `the worker rendering ${what} stopped: ${why}`, {
      file: what,
      hint: 'retried at the next reconcile; if it keeps happening, report it with the controller log',
    });
  }

  private timedOut(slot: Slot): void {
    const p = slot.pending;
    if (!p) return;
    this.stats.timedOut++;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    this.settle(
      slot,
      new RenderError(
        'RenderTimeout',
        `rendering ${p.what} did not finish in time and was stopped`,
        {
          file: p.what,
          hint: 'the render timeout (default 90s) was reached; check for a chart or kustomization that is very large or loops',
        },
      ),
    );
    void slot.worker.terminate();
    this.dispatch();
  }
}
