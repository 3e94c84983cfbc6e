/**
 * Watches every event source's kind (sources/index.ts) and hands each change of an object to a
 * listener, with the source that reads it. The caches keep only what sources read (`slim`).
 *
 * A source whose kind RBAC does not let the controller list and watch (a namespaced install
 * without, say, Rollouts) is left out with a warning; the others go on. `objects(source)` lists a
 * source's cache, for a consumer that starts leading and must look at everything once.
 */
import type { Kube } from '../../kube/api.ts';
import { Informer, type InformerEventType } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import { errorMessage } from '../../errors.ts';
import { refusedWatches } from '../../runtime/access.ts';
import type { Logger } from '../../util/log.ts';
import type { EventSource, SourceScope } from './source.ts';
import { SOURCES } from './sources/index.ts';

export type SourceListener = (
  source: EventSource,
  type: InformerEventType,
  obj: KubeObject,
) => void;

export interface WatcherOptions {
  kube: Kube;
  log: Logger;
  /** Namespaces to watch per scope (none: all). */
  namespaces?: Partial<Record<SourceScope, readonly string[]>>;
  sources?: readonly EventSource[];
}

interface Watched {
  source: EventSource;
  informers: Informer[];
}

export class EventWatcher {
  private readonly o: WatcherOptions;
  private readonly watched: Watched[] = [];
  private readonly listeners: SourceListener[] = [];

  constructor(o: WatcherOptions) {
    this.o = o;
  }

  onChange(listener: SourceListener): void {
    this.listeners.push(listener);
  }

  /** The sources being watched (after `start`). */
  get sources(): EventSource[] {
    return this.watched.map((w) => w.source);
  }

  /** Checks RBAC, then lists every allowed source; resolves when their caches are filled. */
  async start(): Promise<void> {
    for (const source of this.o.sources ?? SOURCES) {
      const namespaces = this.o.namespaces?.[source.scope];
      const group = source.apiVersion.includes('/') ? source.apiVersion.split('/')[0] : '';
      const refused = await refusedWatches(this.o.kube, namespaces, [
        [group ?? '', source.resource],
      ]);
      if (refused.length > 0) {
        this.o.log.warn(`notifications: no ${source.kind} events, RBAC refuses`, {
          refused: refused.join(', '),
        });
        continue;
      }
      this.watched.push({ source, informers: this.informers(source, namespaces) });
    }
    await Promise.all(this.watched.flatMap((w) => w.informers.map((i) => i.start())));
  }

  stop(): void {
    for (const w of this.watched) for (const i of w.informers) i.stop();
  }

  objects(source: EventSource): KubeObject[] {
    const w = this.watched.find((x) => x.source === source);
    return w ? w.informers.flatMap((i) => i.list()) : [];
  }

  private informers(source: EventSource, namespaces: readonly string[] | undefined): Informer[] {
    const transform = source.slim ? (obj: KubeObject) => source.slim?.(obj) ?? obj : undefined;
    return (namespaces?.length ? namespaces : ['']).map((ns) => {
      const inf = new Informer(this.o.kube, {
        apiVersion: source.apiVersion,
        kind: source.kind,
        ...(ns ? { namespace: ns } : {}),
        ...(transform ? { transform } : {}),
        onError: (err) =>
          this.o.log.warn('notifications: watch failed; retrying', {
            kind: source.kind,
            error: errorMessage(err),
          }),
      });
      inf.on((type, obj) => {
        for (const l of this.listeners) l(source, type, obj);
      });
      return inf;
    });
  }
}
