/**
 * The controller's view of what it manages: one watch-backed informer per kind in use (started
 * the first time an app needs that kind), limited by label to the objects Sluice manages. It
 * answers `get` from memory (zero API requests), indexes objects by the app that tracks them
 * (an informer index on the tracking id), and reports every change so the owning app is
 * reconciled within milliseconds (self-heal).
 */
import type { InventoryEntry } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import { groupOf, versionOf, type KubeObject } from '../kube/types.ts';
import { appOfTrackingId, MANAGED_SELECTOR, TRACKING_ANNOTATION } from './annotations.ts';
import { withoutManagedFields } from './diff.ts';
import type { LiveState } from './live.ts';

const BY_APP = 'app';

/** Index: the app (`namespace/name`) whose tracking id the object carries. */
function appIndex(obj: KubeObject): string[] {
  const app = appOfTrackingId(obj.metadata.annotations?.[TRACKING_ANNOTATION]);
  return app ? [`${app.namespace}/${app.name}`] : [];
}

function entryOf(obj: KubeObject): InventoryEntry {
  return {
    group: groupOf(obj.apiVersion),
    version: versionOf(obj.apiVersion),
    kind: obj.kind,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? '',
  };
}

export type ChangeHandler = (
  app: { namespace: string; name: string },
  obj: KubeObject,
  type: 'added' | 'modified' | 'deleted',
) => void;

export class LiveCache implements LiveState {
  private readonly kube: Kube;
  private readonly informers = new Map<string, { informer: Informer; ready: Promise<void> }>();
  private readonly onChange: ChangeHandler;
  private readonly onError: (err: unknown) => void;

  constructor(
    kube: Kube,
    onChange: ChangeHandler,
    onError: (err: unknown) => void = () => undefined,
  ) {
    this.kube = kube;
    this.onChange = onChange;
    this.onError = onError;
  }

  /** Kinds watched so far. */
  get kinds(): string[] {
    return [...this.informers.keys()];
  }

  get objectCount(): number {
    let n = 0;
    for (const { informer } of this.informers.values()) n += informer.size;
    return n;
  }

  private stopped = false;

  private async informerFor(apiVersion: string, kind: string): Promise<Informer | undefined> {
    if (this.stopped) return undefined;
    // One informer per group+kind (any version serves the same objects).
    const info = await this.kube.discovery.find(apiVersion, kind);
    if (!info) return undefined;
    const key = `${info.group}/${kind}`;
    let entry = this.informers.get(key);
    if (!entry) {
      // Namespaces are few and often not ours (the destination may pre-exist): watch them all.
      const all = info.group === '' && kind === 'Namespace';
      const informer = new Informer(this.kube, {
        apiVersion,
        kind,
        onError: this.onError,
        transform: withoutManagedFields,
        ...(all ? {} : { labelSelector: MANAGED_SELECTOR }),
      });
      informer.addIndex(BY_APP, appIndex);
      informer.on((type, obj, old) => this.changed(type, obj, old));
      entry = { informer, ready: informer.start() };
      this.informers.set(key, entry);
    }
    await entry.ready;
    return entry.informer;
  }

  /** A change of a managed object: its app (and the app it left, if re-tracked) reconciles. */
  private changed(
    type: 'added' | 'modified' | 'deleted',
    obj: KubeObject,
    old: KubeObject | undefined,
  ): void {
    const id = obj.metadata.annotations?.[TRACKING_ANNOTATION];
    const oldId = old?.metadata.annotations?.[TRACKING_ANNOTATION];
    const previous = oldId && oldId !== id ? appOfTrackingId(oldId) : undefined;
    if (previous) this.onChange(previous, obj, 'deleted');
    const app = appOfTrackingId(id ?? oldId);
    if (app) this.onChange(app, obj, type);
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const informer = await this.informerFor(apiVersion, kind);
    // Not in the cache means missing, for what Sluice manages. An object whose managed label was
    // removed by hand left the watch too: it shows as missing, and a sync (an upsert) restores it.
    return informer?.get(namespace, name);
  }

  trackedBy(appNamespace: string, appName: string): InventoryEntry[] {
    const key = `${appNamespace}/${appName}`;
    const out: InventoryEntry[] = [];
    for (const { informer } of this.informers.values())
      for (const obj of informer.byIndex(BY_APP, key)) out.push(entryOf(obj));
    return out;
  }

  stop(): void {
    this.stopped = true;
    for (const { informer } of this.informers.values()) informer.stop();
  }
}
