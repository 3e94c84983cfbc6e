/**
 * The controller's view of what it manages: one watch-backed informer per kind in use (started
 * the first time an app needs that kind), limited by label to the objects Sluice manages. It
 * answers `get` from memory (zero API requests), indexes objects by the app that tracks them
 * (an informer index on the tracking id), and reports every change so the owning app is
 * reconciled within milliseconds (self-heal).
 *
 * A cache limited to some namespaces (`sluice controller --destination-namespace`, for a
 * controller whose RBAC grants only those) watches namespaced kinds there only, one informer per
 * namespace, and no cluster-scoped kind but Namespaces: what it does not watch reads as missing,
 * and writing it is refused by the API server (Forbidden, naming the object).
 *
 * A kind the controller may not list (its RBAC lacks it) fails the read at once with the API
 * server's Forbidden error, so the app says so instead of waiting forever for a cache that
 * cannot fill; the next read tries again (RBAC may have been fixed).
 */
import type { InventoryEntry } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { KubeApiError } from '../kube/errors.ts';
import { Informer } from '../kube/informer.ts';
import { groupOf, versionOf, type KubeObject } from '../kube/types.ts';
import { appOfTrackingId, MANAGED_SELECTOR, TRACKING_ANNOTATION } from './annotations.ts';
import { keepKnownManagers } from './managers.ts';
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

export interface LiveCacheScope {
  /** Watch only these namespaces (default: the whole cluster). */
  namespaces?: readonly string[];
}

/**
 * The informer key of a kind (`group/Kind`), with the namespace when the scope is limited; or
 * undefined when the scope leaves it unwatched.
 *
 * @example informerKey({ group: 'apps', namespaced: true }, 'Deployment', 'shop', ['shop']) // 'apps/Deployment/shop'
 */
export function informerKey(
  info: { group: string; namespaced: boolean },
  kind: string,
  namespace: string | undefined,
  namespaces: readonly string[] | undefined,
): string | undefined {
  const key = `${info.group}/${kind}`;
  if (namespaces === undefined) return key;
  if (!info.namespaced) return info.group === '' && kind === 'Namespace' ? key : undefined;
  return namespace !== undefined && namespaces.includes(namespace)
    ? `${key}/${namespace}`
    : undefined;
}

export class LiveCache implements LiveState {
  private readonly kube: Kube;
  private readonly informers = new Map<string, { informer: Informer; ready: Promise<void> }>();
  private readonly onChange: ChangeHandler;
  private readonly onError: (err: unknown) => void;
  private readonly namespaces: readonly string[] | undefined;

  constructor(
    kube: Kube,
    onChange: ChangeHandler,
    onError: (err: unknown) => void = () => undefined,
    scope: LiveCacheScope = {},
  ) {
    this.kube = kube;
    this.onChange = onChange;
    this.onError = onError;
    this.namespaces = scope.namespaces;
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

  private async informerFor(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
  ): Promise<Informer | undefined> {
    if (this.stopped) return undefined;
    // One informer per group+kind (any version serves the same objects), per namespace if limited.
    const info = await this.kube.discovery.find(apiVersion, kind);
    if (!info) return undefined;
    const key = informerKey(info, kind, namespace, this.namespaces);
    if (key === undefined) return undefined;
    let entry = this.informers.get(key);
    if (!entry) {
      entry = this.startInformer(key, apiVersion, kind, {
        // Namespaces are few and often not ours (the destination may pre-exist): watch them all.
        all: info.group === '' && kind === 'Namespace',
        ...(this.namespaces && info.namespaced && namespace ? { namespace } : {}),
      });
      this.informers.set(key, entry);
    }
    await entry.ready;
    return entry.informer;
  }

  /** An informer whose `ready` rejects (and which is dropped) if listing is Forbidden. */
  private startInformer(
    key: string,
    apiVersion: string,
    kind: string,
    o: { all: boolean; namespace?: string },
  ): { informer: Informer; ready: Promise<void> } {
    let forbidden: (err: KubeApiError) => void = () => undefined;
    const refused = new Promise<never>((_resolve, reject) => (forbidden = reject));
    let synced = false;
    const informer = new Informer(this.kube, {
      apiVersion,
      kind,
      onError: (err) => {
        if (!synced && err instanceof KubeApiError && err.status === 403) {
          forbidden(err); // first: stopping the informer resolves its start()
          informer.stop();
          if (this.informers.get(key)?.informer === informer) this.informers.delete(key);
        }
        this.onError(err);
      },
      // managedFields only of the Rollout controller and CLI (what coexist.ts asks about).
      transform: keepKnownManagers,
      ...(o.all ? {} : { labelSelector: MANAGED_SELECTOR }),
      ...(o.namespace ? { namespace: o.namespace } : {}),
    });
    informer.addIndex(BY_APP, appIndex);
    informer.on((type, obj, old) => this.changed(type, obj, old));
    const ready = Promise.race([informer.start(), refused]).then(() => {
      synced = true;
    });
    // Whoever waits sees the rejection; nobody waiting must not make it unhandled.
    ready.catch(() => undefined);
    return { informer, ready };
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
    const informer = await this.informerFor(apiVersion, kind, namespace);
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
