/**
 * Typed operations on any kind of object: get, list, watch, apply (server-side), create, patch,
 * delete. Paths come from discovery; every error names the object it was about.
 *
 * @example
 * const kube = await Kube.connect(kubeconfigPath);
 * await kube.apply(deployment, { fieldManager: 'sluice', force: true });
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  KubeClient,
  type ClientOptions,
  type CountedVerb,
  type Query,
  type Verb,
} from './client.ts';
import { Discovery, resourcePath, type ResourceInfo } from './discovery.ts';
import { isNotFound } from './errors.ts';
import { formatRef, refOf, type KubeList, type KubeObject } from './types.ts';

export interface ApplyOptions {
  fieldManager: string;
  /** Take over fields owned by other managers (like `kubectl apply --server-side --force-conflicts`). */
  force?: boolean;
  /** Validate and default on the server, persist nothing. */
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  dryRun?: boolean;
  /** Only delete this exact object (guards against deleting a re-created one). */
  uid?: string;
  /** Pods: seconds the containers get to stop (0: at once). Default: the object's own. */
  gracePeriodSeconds?: number;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Which log of a pod (pods/log): one container's, from when, how much. */
export interface PodLogOptions {
  container: string;
  /** The log of the container's previous run (it restarted). */
  previous?: boolean;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

export class Kube {
  readonly client: KubeClient;
  readonly discovery: Discovery;
  private readonly tag: string | undefined;
  /** Every request of this handle carries it: aborting it fails requests in flight at once. */
  readonly signal: AbortSignal | undefined;
  /** The user every request of this handle acts as (`Impersonate-User`), if not the client's own. */
  readonly impersonating: string | undefined;
  /** Requests skip the in-flight queue on connections of their own (RequestSpec.urgent). */
  readonly urgent: boolean;

  constructor(
    client: KubeClient,
    discovery?: Discovery,
    tag?: string,
    signal?: AbortSignal,
    impersonating?: string,
    urgent = false,
  ) {
    this.client = client;
    this.discovery = discovery ?? new Discovery(client);
    this.tag = tag;
    this.signal = signal;
    this.impersonating = impersonating;
    this.urgent = urgent;
  }

  /** The same connection, with requests counted as `<tag>:<verb>` (e.g. leader election's). */
  tagged(tag: string): Kube {
    return new Kube(this.client, this.discovery, tag, this.signal, this.impersonating, this.urgent);
  }

  /**
   * The same client, in the urgent lane: for leader election only, whose few small requests must
   * not wait behind a big sync's thousands (a Lease not renewed in time hands the work over).
   */
  urgentLane(): Kube {
    return new Kube(this.client, this.discovery, this.tag, this.signal, this.impersonating, true);
  }

  /**
   * The same connection, cancelled by `signal`: a reconcile hands this to everything it calls,
   * so a controller that loses its Lease (or whose object is deleted) stops writing at once.
   */
  withSignal(signal: AbortSignal): Kube {
    const both = this.signal ? AbortSignal.any([this.signal, signal]) : signal;
    return new Kube(this.client, this.discovery, this.tag, both, this.impersonating, this.urgent);
  }

  /**
   * The same connection acting as `user` (`system:serviceaccount:<ns>:<name>` for a
   * ServiceAccount): the API server authorizes each request as that user, so its RBAC limits what
   * this handle may do. The client's own identity needs the `impersonate` verb on it. Discovery
   * stays the client's own (it is shared).
   */
  impersonate(user: string): Kube {
    return new Kube(this.client, this.discovery, this.tag, this.signal, user, this.urgent);
  }

  /** Request fields every call shares: the counted verb, the handle's signal and identity. */
  private spec(v: Verb): {
    verb: CountedVerb;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    urgent?: boolean;
  } {
    return {
      verb: this.verb(v),
      ...(this.signal ? { signal: this.signal } : {}),
      ...(this.impersonating ? { headers: { 'impersonate-user': this.impersonating } } : {}),
      ...(this.urgent ? { urgent: true } : {}),
    };
  }

  private verb(v: Verb): CountedVerb {
    return this.tag ? `${this.tag}:${v}` : v;
  }

  static async connect(
    kubeconfig?: string | KubeConfig,
    options: ClientOptions = {},
  ): Promise<Kube> {
    const client =
      typeof kubeconfig === 'string' || kubeconfig === undefined
        ? await KubeClient.fromKubeconfig(kubeconfig, options)
        : await KubeClient.fromKubeConfig(kubeconfig, options);
    return new Kube(client);
  }

  private async info(
    obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  ): Promise<ResourceInfo> {
    return this.discovery.resolve(obj.apiVersion, obj.kind, formatRef(refOf(obj)));
  }

  /** The live object, or undefined if it does not exist. */
  async get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    const meta = { name, ...(namespace ? { namespace } : {}) };
    const info = await this.info({ apiVersion, kind, metadata: meta });
    try {
      return await this.client.request<T>({
        method: 'GET',
        path: resourcePath(info, namespace, name),
        ...this.spec('get'),
        object: formatRef({
          group: info.group,
          kind,
          namespace: info.namespaced ? (namespace ?? '') : '',
          name,
        }),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const info = await this.discovery.resolve(apiVersion, kind);
    const list = await this.client.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(info, options.namespace),
      ...this.spec('list'),
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
    });
    // Lists leave apiVersion/kind off their items; put them back so items are whole objects.
    for (const item of list.items) {
      item.apiVersion = apiVersion;
      item.kind = kind;
    }
    return list;
  }

  /** Server-side apply. Returns the object as the server stored it (or would, on dry-run). */
  async apply<T extends KubeObject = KubeObject>(
    obj: KubeObject,
    options: ApplyOptions,
  ): Promise<T> {
    const info = await this.info(obj);
    const query: Query = {
      fieldManager: options.fieldManager,
      force: options.force ? true : undefined,
      dryRun: options.dryRun ? 'All' : undefined,
    };
    return this.client.request<T>({
      method: 'PATCH',
      path: resourcePath(info, obj.metadata.namespace, obj.metadata.name),
      ...this.spec(options.dryRun ? 'dryrun' : 'apply'),
      query,
      body: obj,
      contentType: 'application/apply-patch+yaml',
      object: formatRef(refOf(obj)),
    });
  }

  async create<T extends KubeObject = KubeObject>(
    obj: KubeObject,
    options: { dryRun?: boolean; fieldManager?: string } = {},
  ): Promise<T> {
    const info = await this.info(obj);
    return this.client.request<T>({
      method: 'POST',
      path: resourcePath(info, obj.metadata.namespace),
      ...this.spec(options.dryRun ? 'dryrun' : 'create'),
      query: { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager },
      body: obj,
      object: formatRef(refOf(obj)),
    });
  }

  /** JSON merge patch (RFC 7386): `{ spec: { replicas: 2 } }`; `null` removes a field. */
  async mergePatch<T extends KubeObject = KubeObject>(
    target: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
    patch: unknown,
    options: { subresource?: 'status'; fieldManager?: string } = {},
  ): Promise<T> {
    const info = await this.info(target);
    const path =
      resourcePath(info, target.metadata.namespace, target.metadata.name) +
      (options.subresource ? `/${options.subresource}` : '');
    return this.client.request<T>({
      method: 'PATCH',
      path,
      ...this.spec('patch'),
      query: { fieldManager: options.fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
      object: formatRef(refOf(target)),
    });
  }

  /** Replaces the object (PUT); fails with 409 if its resourceVersion is stale. */
  async update<T extends KubeObject = KubeObject>(
    obj: KubeObject,
    options: { subresource?: 'status' } = {},
  ): Promise<T> {
    const info = await this.info(obj);
    return this.client.request<T>({
      method: 'PUT',
      path:
        resourcePath(info, obj.metadata.namespace, obj.metadata.name) +
        (options.subresource ? `/${options.subresource}` : ''),
      ...this.spec('update'),
      body: obj,
      object: formatRef(refOf(obj)),
    });
  }

  /** Deletes the object; resolves false if it was already gone. */
  async delete(
    target: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
    options: DeleteOptions = {},
  ): Promise<boolean> {
    const info = await this.info(target);
    try {
      await this.client.request({
        method: 'DELETE',
        path: resourcePath(info, target.metadata.namespace, target.metadata.name),
        ...this.spec('delete'),
        query: { dryRun: options.dryRun ? 'All' : undefined },
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: options.propagationPolicy ?? 'Background',
          ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
          ...(options.gracePeriodSeconds !== undefined
            ? { gracePeriodSeconds: options.gracePeriodSeconds }
            : {}),
        },
        object: formatRef(refOf(target)),
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** A container's log as it stands (pods/log); KubeApiError 400 while the container waits. */
  async podLog(namespace: string, pod: string, options: PodLogOptions): Promise<string> {
    const info = await this.discovery.resolve('v1', 'Pod');
    return this.client.requestText({
      method: 'GET',
      path: `${resourcePath(info, namespace, pod)}/log`,
      ...this.spec('get'),
      query: { ...options },
      object: `Pod/${namespace}/${pod}`,
    });
  }

  /**
   * Follows a container's log (pods/log?follow): yields text as the container writes it; ends
   * when the container ends, the server closes the stream or `signal` aborts.
   */
  async *followPodLog(
    namespace: string,
    pod: string,
    options: PodLogOptions & { signal?: AbortSignal },
  ): AsyncGenerator<string> {
    const info = await this.discovery.resolve('v1', 'Pod');
    const { signal, ...query } = options;
    const signals = [this.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    yield* this.client.streamText({
      method: 'GET',
      path: `${resourcePath(info, namespace, pod)}/log`,
      verb: this.verb('watch'),
      query: { ...query, follow: true },
      object: `Pod/${namespace}/${pod}`,
      ...(this.impersonating ? { headers: { 'impersonate-user': this.impersonating } } : {}),
      ...(this.urgent ? { urgent: true } : {}),
      ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    });
  }

  /**
   * Watches a kind from `resourceVersion` on. Ends when the server closes the stream (the caller
   * re-lists or re-watches) or when `signal` aborts.
   */
  async *watch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions & {
      resourceVersion?: string;
      signal?: AbortSignal;
      timeoutSeconds?: number;
    } = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const info = await this.discovery.resolve(apiVersion, kind);
    yield* this.client.stream<WatchEvent<T>>({
      method: 'GET',
      path: resourcePath(info, options.namespace),
      ...this.spec('watch'),
      query: {
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds: options.timeoutSeconds,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
