/**
 * A watch-backed cache of one kind (list once, then watch), like client-go's informer.
 *
 * `start()` resolves once the first list is in; afterwards every change arrives as an event
 * within milliseconds. A watch that ends is resumed from the last resourceVersion; a 410 Gone
 * (history compacted) triggers a re-list whose differences are emitted as events, so handlers
 * never miss a deletion. Errors back off from 250 ms up to 30 s.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from './api.ts';
import { KubeApiError } from './errors.ts';
import type { KubeObject } from './types.ts';

export type InformerEventType = 'added' | 'modified' | 'deleted';
export type InformerHandler<T extends KubeObject> = (
  type: InformerEventType,
  obj: T,
  old: T | undefined,
) => void;

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  /** e.g. `metadata.name=x`: one object by name, watched. */
  fieldSelector?: string;
  /** Called when listing or watching fails (it is retried). */
  onError?: (err: unknown) => void;
  /** Applied to every object before it is stored (e.g. drop managedFields to save memory). */
  transform?: (obj: KubeObject) => KubeObject;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** The values an object is found under in an index (e.g. the repositories an app uses). */
export type IndexFunc<T extends KubeObject> = (obj: T) => readonly string[];

interface Index<T extends KubeObject> {
  fn: IndexFunc<T>;
  /** index value -> keys of the objects carrying it */
  entries: Map<string, Set<string>>;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly options: InformerOptions;
  private readonly kube: Kube;
  private readonly store = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly handlers: Array<InformerHandler<T>> = [];
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private synced: Promise<void> | undefined;

  constructor(kube: Kube, options: InformerOptions) {
    this.kube = kube;
    this.options = options;
  }

  on(handler: InformerHandler<T>): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /**
   * Lists, then keeps watching in the background. Resolves after the first list, or when the
   * informer is stopped before that (e.g. its cluster is unreachable and its user gives up).
   */
  start(): Promise<void> {
    this.synced ??= new Promise<void>((resolve) => {
      this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
      void this.run(resolve);
    });
    return this.synced;
  }

  stop(): void {
    this.abort.abort();
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /**
   * Adds an index, like client-go's indexers: `byIndex(name, value)` then answers from memory
   * instead of scanning every object. Safe to add before or after `start()`.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexes.has(name)) throw new Error(`informer index ${name} is defined twice`);
    const index: Index<T> = { fn, entries: new Map() };
    this.indexes.set(name, index);
    for (const [k, obj] of this.store) indexAdd(index, k, obj);
  }

  /** The objects whose index function returned `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer has no index ${name}`);
    const out: T[] = [];
    for (const k of index.entries.get(value) ?? []) {
      const obj = this.store.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  private put(k: string, obj: T): void {
    const old = this.store.get(k);
    for (const index of this.indexes.values()) {
      if (old) indexRemove(index, k, old);
      indexAdd(index, k, obj);
    }
    this.store.set(k, obj);
  }

  private remove(k: string): void {
    const old = this.store.get(k);
    if (!old) return;
    for (const index of this.indexes.values()) indexRemove(index, k, old);
    this.store.delete(k);
  }

  get size(): number {
    return this.store.size;
  }

  private emit(type: InformerEventType, obj: T, old: T | undefined): void {
    for (const h of [...this.handlers]) {
      try {
        h(type, obj, old);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
  }

  private async relist(): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector, fieldSelector } = this.options;
    const list = await this.kube.list<T>(apiVersion, kind, {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = this.options.transform ? (this.options.transform(item) as T) : item;
      const k = key(obj);
      seen.add(k);
      const old = this.store.get(k);
      this.put(k, obj);
      if (!old) this.emit('added', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit('modified', obj, old);
    }
    for (const [k, old] of this.store) {
      if (!seen.has(k)) {
        this.remove(k);
        this.emit('deleted', old, old);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
  }

  private apply(type: string, incoming: T): void {
    const obj = this.options.transform ? (this.options.transform(incoming) as T) : incoming;
    const k = key(obj);
    const old = this.store.get(k);
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (type === 'DELETED') {
      this.remove(k);
      this.emit('deleted', obj, old);
    } else {
      this.put(k, obj);
      this.emit(old ? 'modified' : 'added', obj, old);
    }
  }

  private async run(onSynced: () => void): Promise<void> {
    let backoff = 250;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          onSynced();
        }
        if (this.stopped) return;
        needList = await this.watchOnce(() => {
          backoff = 250;
        });
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof KubeApiError && err.status === 410) needList = true;
        else {
          backoff = await this.backOff(err, backoff);
          // A long outage may have lost events: list again.
          if (backoff >= 4000) needList = true;
        }
      }
    }
  }

  /**
   * Watches from the last resourceVersion until the watch ends, calling `onEvent` for each
   * event. Resolves true when the history is gone (410) and the cache must be listed again.
   */
  private async watchOnce(onEvent: () => void): Promise<boolean> {
    const { apiVersion, kind, namespace, labelSelector, fieldSelector } = this.options;
    const events = this.kube.watch<T>(apiVersion, kind, {
      resourceVersion: this.resourceVersion,
      signal: this.abort.signal,
      timeoutSeconds: 300 + Math.floor(Math.random() * 60),
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    });
    for await (const ev of events) {
      onEvent();
      if (ev.type === 'BOOKMARK') {
        this.resourceVersion = ev.object.metadata.resourceVersion ?? this.resourceVersion;
      } else if (ev.type === 'ERROR') {
        return (ev.object as unknown as { code?: number }).code === 410;
      } else {
        this.apply(ev.type, ev.object);
      }
    }
    return false;
  }

  /** Reports a failed list or watch and waits before the next try; returns the next wait. */
  private async backOff(err: unknown, backoff: number): Promise<number> {
    this.options.onError?.(err);
    await sleep(backoff + Math.random() * backoff, undefined, {
      signal: this.abort.signal,
    }).catch(() => undefined);
    return Math.min(backoff * 2, 30_000);
  }
}

function indexAdd<T extends KubeObject>(index: Index<T>, k: string, obj: T): void {
  for (const value of index.fn(obj)) {
    let keys = index.entries.get(value);
    if (!keys) index.entries.set(value, (keys = new Set()));
    keys.add(k);
  }
}

function indexRemove<T extends KubeObject>(index: Index<T>, k: string, obj: T): void {
  for (const value of index.fn(obj)) {
    const keys = index.entries.get(value);
    keys?.delete(k);
    if (keys?.size === 0) index.entries.delete(value);
  }
}

/** Index functions every controller needs. */
export const indexBy = {
  /** By the UID of each owner reference. */
  owner: (obj: KubeObject): string[] => (obj.metadata.ownerReferences ?? []).map((o) => o.uid),
  /** By the value of one label. */
  label:
    (label: string) =>
    (obj: KubeObject): string[] => {
      const v = obj.metadata.labels?.[label];
      return v === undefined ? [] : [v];
    },
};
