/**
 * A small, fast Kubernetes API client: one keep-alive connection pool per cluster (undici),
 * a global bound on requests in flight, JSON in and out, typed errors that name the object, and
 * a count of requests by verb and status code (the numbers behind metrics and benchmarks).
 *
 * Authentication comes from the kubeconfig through @kubernetes/client-node's KubeConfig, so
 * certificates, tokens and exec plugins all work; this client only moves bytes. Credentials that
 * expire are asked for again every minute: an in-cluster ServiceAccount token (the kubelet
 * rotates the file), exec plugins, OIDC; a long-running controller never sends a stale token.
 */
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, type Dispatcher, request } from 'undici';
import { Semaphore } from '../util/semaphore.ts';
import {
  ClusterUnreachableError,
  KubeApiError,
  RequestCancelledError,
  type KubeStatus,
} from './errors.ts';

/** What a request does, for counting: `apply` and `dryrun` are PATCHes we tell apart. */
export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'apply'
  | 'dryrun'
  | 'delete'
  | 'discovery';

/** A verb as counted: plain, or tagged by who asked (`lease:update`). */
export type CountedVerb = Verb | `${string}:${Verb}`;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  verb: CountedVerb;
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** Named in errors: `Deployment/shop/web`. */
  object?: string;
  signal?: AbortSignal;
  /** The Accept header (default application/json); text endpoints such as pods/log take `*\/*`. */
  accept?: string;
  /** More request headers (impersonation: `impersonate-user`). */
  headers?: Readonly<Record<string, string>>;
  /**
   * Leader election's lane: its own connections and no place in the in-flight queue, so a Lease
   * is renewed on time while thousands of applies or prunes wait for a slot (controller-runtime
   * gives leader election a client of its own for the same reason).
   */
  urgent?: boolean;
}

export interface ClientOptions {
  /** Requests in flight at once, across the whole process. */
  maxInFlight?: number;
  /** Connections kept open to the API server. */
  connections?: number;
  /** Give up on a request (not a watch) after this long. */
  timeoutMs?: number;
  /** Ask the kubeconfig for credentials again after this long (token files, exec plugins). */
  authRefreshMs?: number;
}

const DEFAULTS: Required<ClientOptions> = {
  maxInFlight: 64,
  connections: 32,
  timeoutMs: 30_000,
  authRefreshMs: 60_000,
};

/** The request headers a kubeconfig's user adds (bearer token, basic auth). */
async function authHeaders(kc: KubeConfig): Promise<Record<string, string>> {
  const https: HttpsRequestOptions = {};
  await kc.applyToHTTPSOptions(https);
  return headersOf(https);
}

function headersOf(https: HttpsRequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(https.headers ?? {}))
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  // Basic auth comes back as `auth` (user:password), not as a header.
  if (https.auth && !headers['authorization'])
    headers['authorization'] = `Basic ${Buffer.from(https.auth).toString('base64')}`;
  return headers;
}

export class KubeClient {
  readonly server: string;
  readonly counts = new Map<string, number>();
  private readonly agent: Agent;
  /** RequestSpec.urgent: a few connections of its own, no in-flight queue. */
  private readonly urgentAgent: Agent;
  private readonly limit: Semaphore;
  private readonly timeoutMs: number;
  private readonly kc: KubeConfig;
  private readonly authRefreshMs: number;
  private headers: Record<string, string>;
  private authAt = Date.now();
  private authRefresh: Promise<void> | undefined;

  private constructor(
    server: string,
    agents: { agent: Agent; urgentAgent: Agent },
    auth: { kc: KubeConfig; headers: Record<string, string> },
    options: Required<ClientOptions>,
  ) {
    this.server = server.replace(/\/+$/, '');
    this.agent = agents.agent;
    this.urgentAgent = agents.urgentAgent;
    this.kc = auth.kc;
    this.headers = auth.headers;
    this.limit = new Semaphore(options.maxInFlight);
    this.timeoutMs = options.timeoutMs;
    this.authRefreshMs = options.authRefreshMs;
  }

  /**
   * The headers of the next request: the credentials, asked for again once they are older than
   * `authRefreshMs` (one refresh at a time; if it fails, the previous credentials are used and
   * the next request tries again).
   */
  async requestHeaders(): Promise<Readonly<Record<string, string>>> {
    if (Date.now() - this.authAt >= this.authRefreshMs) {
      this.authRefresh ??= authHeaders(this.kc)
        .then((h) => {
          this.headers = h;
          this.authAt = Date.now();
        })
        .catch(() => undefined)
        .finally(() => (this.authRefresh = undefined));
      await this.authRefresh;
    }
    return this.headers;
  }

  /** From a kubeconfig file, or the default one (`$KUBECONFIG`, `~/.kube/config`). */
  static async fromKubeconfig(path?: string, options: ClientOptions = {}): Promise<KubeClient> {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    return KubeClient.fromKubeConfig(kc, options);
  }

  static async fromKubeConfig(kc: KubeConfig, options: ClientOptions = {}): Promise<KubeClient> {
    const opts = { ...DEFAULTS, ...options } satisfies Required<ClientOptions>;
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new ClusterUnreachableError(
        '(none)',
        new Error('the kubeconfig has no current cluster'),
      );
    }
    const https: HttpsRequestOptions = {};
    await kc.applyToHTTPSOptions(https);
    const tls = {
      ...(https.ca ? { ca: https.ca as string | Buffer } : {}),
      ...(https.cert ? { cert: https.cert as string | Buffer } : {}),
      ...(https.key ? { key: https.key as string | Buffer } : {}),
      ...(https.servername ? { servername: https.servername } : {}),
      rejectUnauthorized: https.rejectUnauthorized !== false,
    };
    const agent = (connections: number): Agent =>
      new Agent({
        connect: tls,
        connections,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 600_000,
        pipelining: 1,
      });
    return new KubeClient(
      cluster.server,
      { agent: agent(opts.connections), urgentAgent: agent(2) },
      { kc, headers: headersOf(https) },
      opts,
    );
  }

  private count(verb: CountedVerb, code: number | string): void {
    const key = `${verb} ${code}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Total requests counted so far, optionally only for some verbs. */
  total(verbs?: readonly Verb[]): number {
    let n = 0;
    for (const [key, v] of this.counts)
      if (!verbs || verbs.includes(key.split(' ')[0] as Verb)) n += v;
    return n;
  }

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.server}${path}${qs ? `?${qs}` : ''}`;
  }

  private async send(spec: RequestSpec, timeoutMs: number): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = {
      ...(await this.requestHeaders()),
      ...spec.headers,
      accept: spec.accept ?? 'application/json',
    };
    let body: string | null = null;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = spec.contentType ?? 'application/json';
    }
    try {
      const sent = request(this.url(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        dispatcher: spec.urgent ? this.urgentAgent : this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return await (spec.signal ? abandonOnAbort(sent, spec.signal) : sent);
    } catch (err) {
      this.count(spec.verb, 'error');
      if (spec.signal?.aborted) throw new RequestCancelledError(spec.object);
      throw new ClusterUnreachableError(this.server, err);
    }
  }

  /** One request; resolves with the decoded JSON body, throws KubeApiError on a non-2xx answer. */
  async request<T>(spec: RequestSpec): Promise<T> {
    const run = async (): Promise<T> => {
      if (spec.signal?.aborted) throw new RequestCancelledError(spec.object);
      const res = await this.send(spec, this.timeoutMs);
      this.count(spec.verb, res.statusCode);
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300)
        return (text ? JSON.parse(text) : undefined) as T;
      throw toApiError(res.statusCode, text, spec);
    };
    return spec.urgent ? run() : this.limit.run(run);
  }

  /** One request whose answer is text (a pod's log); throws KubeApiError on a non-2xx answer. */
  async requestText(spec: RequestSpec): Promise<string> {
    return this.limit.run(async () => {
      if (spec.signal?.aborted) throw new RequestCancelledError(spec.object);
      const res = await this.send({ accept: '*/*', ...spec }, this.timeoutMs);
      this.count(spec.verb, res.statusCode);
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return text;
      throw toApiError(res.statusCode, text, spec);
    });
  }

  /**
   * A streaming request (watch): yields one decoded JSON object per line until the server closes
   * the stream or `signal` aborts. Not bounded by the in-flight limit: watches are long-lived.
   */
  async *stream<T>(spec: RequestSpec): AsyncGenerator<T> {
    let buffered = '';
    for await (const chunk of this.chunks(spec)) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) yield JSON.parse(line) as T;
      }
    }
  }

  /**
   * A streaming request whose body is text (a followed pod log): yields the text as it arrives
   * until the server closes the stream or `signal` aborts.
   */
  streamText(spec: RequestSpec): AsyncGenerator<string> {
    return this.chunks({ accept: '*/*', ...spec });
  }

  private async *chunks(spec: RequestSpec): AsyncGenerator<string> {
    // The signal is not handed to undici: aborting a request in flight and later closing the
    // agent makes undici throw an uncaught error. We end the stream ourselves instead.
    const { signal, ...rest } = spec;
    if (signal?.aborted) return;
    const res = await this.send(rest, 0);
    this.count(spec.verb, res.statusCode);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw toApiError(res.statusCode, await res.body.text(), spec);
    }
    // Once we stop reading, a late error on the body (closed, client gone) must go nowhere.
    res.body.on('error', () => undefined);
    const onAbort = (): void => void res.body.destroy();
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const text = decoder.decode(chunk as Buffer, { stream: true });
        if (text) yield text;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      res.body.destroy();
    }
  }

  /** Closes every connection, ending watches still open (their readers see the stream end). */
  async close(): Promise<void> {
    await Promise.all([
      this.agent.destroy().catch(() => undefined),
      this.urgentAgent.destroy().catch(() => undefined),
    ]);
  }
}

function toApiError(
  status: number,
  text: string,
  spec: Pick<RequestSpec, 'object' | 'headers'>,
): KubeApiError {
  const object = spec.object;
  const actingAs = spec.headers?.['impersonate-user'];
  let parsed: KubeStatus | undefined;
  try {
    parsed = JSON.parse(text) as KubeStatus;
  } catch {
    parsed = undefined;
  }
  const message = parsed?.message ?? (text.trim() || `HTTP ${status}`);
  const reason = parsed?.reason ?? String(status);
  const hint =
    status === 401
      ? 'the credentials in the kubeconfig were refused; refresh them'
      : status === 403
        ? actingAs
          ? `${actingAs} (impersonated) lacks RBAC permission for this: grant it with a Role and RoleBinding, or remove the object`
          : 'the identity in the kubeconfig lacks RBAC permission for this'
        : undefined;
  return new KubeApiError(status, reason, message, {
    ...(object ? { object } : {}),
    ...(hint ? { hint } : {}),
  });
}

/**
 * Resolves with the response, or rejects the moment `signal` aborts. The signal is not handed to
 * undici: aborting a request in flight and later closing the agent makes undici throw an uncaught
 * error. A request already sent may still be served; its late response is read and dropped.
 */
function abandonOnAbort(
  sent: Promise<Dispatcher.ResponseData>,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  if (signal.aborted) {
    void sent.then(
      (res) => res.body.dump(),
      () => undefined,
    );
    return Promise.reject(new Error('aborted'));
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      void sent.then(
        (res) => res.body.dump(),
        () => undefined,
      );
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sent.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
