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
  /** Called when listing or watching fails (it is retried). */
  onError?: (err: unknown) => void;
  /** Applied to every object before it is stored (e.g. drop managedFields to save memory). */
  transform?: (obj: KubeObject) => KubeObject;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class Informer<T extends KubeObject = KubeObject> {
  readonly options: InformerOptions;
  private readonly kube: Kube;
  private readonly store = new Map<string, T>();
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
    const { apiVersion, kind, namespace, labelSelector } = this.options;
    const list = await this.kube.list<T>(apiVersion, kind, {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = this.options.transform ? (this.options.transform(item) as T) : item;
      const k = key(obj);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, obj);
      if (!old) this.emit('added', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit('modified', obj, old);
    }
    for (const [k, old] of this.store) {
      if (!seen.has(k)) {
        this.store.delete(k);
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
      this.store.delete(k);
      this.emit('deleted', obj, old);
    } else {
      this.store.set(k, obj);
      this.emit(old ? 'modified' : 'added', obj, old);
    }
  }

  private async run(onSynced: () => void): Promise<void> {
    let backoff = 250;
    let needList = true;
    const { apiVersion, kind, namespace, labelSelector } = this.options;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          onSynced();
        }
        if (this.stopped) return;
        const events = this.kube.watch<T>(apiVersion, kind, {
          resourceVersion: this.resourceVersion,
          signal: this.abort.signal,
          timeoutSeconds: 300 + Math.floor(Math.random() * 60),
          ...(namespace ? { namespace } : {}),
          ...(labelSelector ? { labelSelector } : {}),
        });
        for await (const ev of events) {
          backoff = 250;
          if (ev.type === 'BOOKMARK') {
            this.resourceVersion = ev.object.metadata.resourceVersion ?? this.resourceVersion;
          } else if (ev.type === 'ERROR') {
            const code = (ev.object as unknown as { code?: number }).code;
            if (code === 410) needList = true;
            break;
          } else {
            this.apply(ev.type, ev.object);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof KubeApiError && err.status === 410) needList = true;
        else {
          this.options.onError?.(err);
          await sleep(backoff + Math.random() * backoff, undefined, {
            signal: this.abort.signal,
          }).catch(() => undefined);
          backoff = Math.min(backoff * 2, 30_000);
          // A long outage may have lost events: list again.
          if (backoff >= 4000) needList = true;
        }
      }
    }
  }
}
