/**
 * A controller of one kind, plugged into a Manager: an informer cache of its objects (with
 * indexes), a typed work queue, and a Reconciler, a plain object whose `reconcile(request)`
 * does one step and says when to come back.
 *
 * Each reconcile gets an AbortSignal; the signal aborts when the object is deleted (or starts
 * deleting) or when the Manager loses the Lease, and every Kubernetes request made with
 * `kube.withSignal(signal)` fails at once, so a former leader stops writing within a second.
 *
 * @example
 * const c = new Controller<Widget, {}>({
 *   name: 'widgets', kube, apiVersion: 'example.dev/v1', kind: 'Widget',
 *   reconciler: { reconcile: async ({ namespace, name, signal }) => ({ requeueAfterMs: 60_000 }) },
 * });
 * manager.add(c);
 */
import type { Kube } from '../kube/api.ts';
import { isCancelled } from '../kube/errors.ts';
import { Informer, type IndexFunc, type InformerEventType } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/log.ts';
import { WorkQueue } from './queue.ts';

export interface ReconcileRequest<F> {
  key: string;
  namespace: string;
  name: string;
  flags: F;
  /** Aborts when the object is deleted or the Lease is lost: pass it on (`kube.withSignal`). */
  signal: AbortSignal;
}

export interface ReconcileResult {
  /** Reconcile again after this long; undefined: only when an event asks for it. */
  requeueAfterMs?: number;
}

export interface Reconciler<F> {
  reconcile(request: ReconcileRequest<F>): Promise<ReconcileResult>;
}

/** What an event on the primary kind does: queue with these flags, or (undefined) nothing. */
export type EventFilter<T, F> = (
  type: InformerEventType,
  obj: T,
  old: T | undefined,
) => F | undefined;

export interface ControllerOptions<T extends KubeObject, F extends object> {
  /** Names the controller in logs and metrics, e.g. `applications`. */
  name: string;
  kube: Kube;
  apiVersion: string;
  kind: string;
  /** Watch only these namespaces (default: all). */
  namespaces?: readonly string[];
  reconciler: Reconciler<F>;
  concurrency?: number;
  mergeFlags?: (a: F, b: F) => F;
  /** Default: queue on every add and on changes of generation, metadata or deletion. */
  filter?: EventFilter<T, F>;
  indexes?: Record<string, IndexFunc<T>>;
  log: Logger;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** Default filter: new objects, spec changes, label/annotation changes and deletion. */
export function specChanges<T extends KubeObject>(
  type: InformerEventType,
  obj: T,
  old: T | undefined,
): Record<string, never> | undefined {
  if (type !== 'modified' || !old) return type === 'added' ? {} : undefined;
  const changed =
    obj.metadata.generation !== old.metadata.generation ||
    obj.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
    JSON.stringify(obj.metadata.labels) !== JSON.stringify(old.metadata.labels) ||
    JSON.stringify(obj.metadata.annotations) !== JSON.stringify(old.metadata.annotations);
  return changed ? {} : undefined;
}

export class Controller<T extends KubeObject, F extends object> {
  readonly name: string;
  readonly queue: WorkQueue<F>;
  private readonly opts: ControllerOptions<T, F>;
  private readonly informers: Informer<T>[];
  private readonly inFlight = new Map<string, AbortController>();
  private readonly listeners: Array<(type: InformerEventType, obj: T, old: T | undefined) => void> =
    [];
  private leader: AbortSignal | undefined;

  constructor(options: ControllerOptions<T, F>) {
    this.opts = options;
    this.name = options.name;
    const onError = (err: unknown): void =>
      options.log.warn('watch failed; retrying', { kind: options.kind, error: errorMessage(err) });
    this.informers = (options.namespaces?.length ? options.namespaces : ['']).map(
      (ns) =>
        new Informer<T>(options.kube, {
          apiVersion: options.apiVersion,
          kind: options.kind,
          onError,
          ...(ns ? { namespace: ns } : {}),
        }),
    );
    for (const [name, fn] of Object.entries(options.indexes ?? {}))
      for (const inf of this.informers) inf.addIndex(name, fn);
    this.queue = new WorkQueue<F>({
      concurrency: options.concurrency ?? 10,
      handler: (key, flags) => this.handle(key, flags),
      ...(options.mergeFlags ? { mergeFlags: options.mergeFlags } : {}),
      onError: (key, err, retryInMs) =>
        options.log.error('reconcile failed', {
          [options.kind.toLowerCase()]: key,
          error: errorMessage(err),
          retryInMs,
        }),
    });
  }

  get isLeading(): boolean {
    return this.leader !== undefined && !this.leader.aborted;
  }

  /** The cached object (or undefined). */
  get(namespace: string, name: string): T | undefined {
    for (const inf of this.informers) {
      const o = inf.get(namespace, name);
      if (o) return o;
    }
    return undefined;
  }

  list(): T[] {
    return this.informers.flatMap((i) => i.list());
  }

  /** Objects found under `value` in index `name` (see `indexes`). */
  byIndex(name: string, value: string): T[] {
    return this.informers.flatMap((i) => i.byIndex(name, value));
  }

  /** Also tell `listener` about every event of the primary kind (after the queue decision). */
  onEvent(listener: (type: InformerEventType, obj: T, old: T | undefined) => void): void {
    this.listeners.push(listener);
  }

  enqueue(key: string, flags?: F): void {
    if (this.isLeading) this.queue.add(key, flags);
  }

  enqueueAfter(key: string, ms: number, flags?: F): void {
    if (this.isLeading) this.queue.addAfter(key, ms, flags);
  }

  /** Starts the caches (every replica keeps them warm, leading or not). */
  async start(): Promise<void> {
    for (const inf of this.informers)
      inf.on((type, obj, old) => this.onInformerEvent(type, obj, old));
    await Promise.all(this.informers.map((i) => i.start()));
  }

  /** The Manager won the Lease: reconcile everything, until `leader` aborts. */
  startLeading(leader: AbortSignal): void {
    this.leader = leader;
    leader.addEventListener('abort', () => this.cancelAll(), { once: true });
    // Each object once, as if just added (an Application then fetches its source: a new
    // leader must not trust a Git mirror another process left on disk).
    const filter = this.opts.filter ?? (specChanges as EventFilter<T, F>);
    for (const obj of this.list()) {
      const flags = filter('added', obj, undefined);
      this.queue.add(keyOf(obj), ...(flags ? [flags] : []));
    }
  }

  /** Graceful stop: no new work; reconciles in flight finish (they are not cancelled). */
  async stop(): Promise<void> {
    await this.queue.stop();
    for (const inf of this.informers) inf.stop();
  }

  private cancelAll(): void {
    for (const c of this.inFlight.values()) c.abort();
  }

  private onInformerEvent(type: InformerEventType, obj: T, old: T | undefined): void {
    const key = keyOf(obj);
    const deleting =
      type === 'deleted' || (obj.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp);
    if (deleting) this.inFlight.get(key)?.abort();
    if (type === 'deleted') this.queue.forget(key);
    const flags = (this.opts.filter ?? (specChanges as EventFilter<T, F>))(type, obj, old);
    if (flags && type !== 'deleted') this.enqueue(key, flags);
    for (const l of this.listeners) l(type, obj, old);
  }

  private async handle(key: string, flags: F): Promise<ReconcileResult> {
    const leader = this.leader;
    if (!leader || leader.aborted) return {};
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const own = new AbortController();
    this.inFlight.set(key, own);
    try {
      return await this.opts.reconciler.reconcile({
        key,
        namespace,
        name,
        flags,
        signal: AbortSignal.any([leader, own.signal]),
      });
    } catch (err) {
      // Cancelled on purpose (Lease lost, object deleted): not a failure to retry or report.
      if (isCancelled(err) || own.signal.aborted || leader.aborted) return {};
      throw err;
    } finally {
      this.inFlight.delete(key);
    }
  }
}
