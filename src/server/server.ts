/**
 * The HTTP endpoints a controller (or `sluice server`) serves:
 *   GET  /metrics       Prometheus metrics
 *   GET  /healthz       200 once started
 *   POST /api/webhook   Git push webhooks (see webhook.ts)
 *   POST /api/resync    reconcile every Application and Rollout once (no fetch)
 *   GET  /api/...       read-only JSON routes controllers add (`api`), e.g. /api/dora
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SluiceError } from '../errors.ts';
import type { Logger } from '../util/log.ts';
import { parseWebhook, type PushEvent, type WebhookSecrets } from './webhook.ts';

/** A read-only GET route: the query in, a status and a JSON body out. */
export type ApiHandler = (query: URLSearchParams) => Promise<{ status: number; body: unknown }>;

export interface ServerOptions {
  host: string;
  port: number;
  metrics?: () => Promise<string>;
  /** GET /healthz: 200 when healthy, 503 (with the reason) otherwise. Default: always 200. */
  healthz?: () => { ok: boolean; message: string };
  webhookSecrets?: WebhookSecrets;
  /** Refreshes what the push touches; resolves with the apps refreshed (`namespace/name`). */
  onPush?: (event: PushEvent) => Promise<string[]>;
  log: Logger;
  /** POST /api/resync: reconcile every app once (benchmarks, debugging); resolves with how many. */
  onResync?: () => number;
  /** GET routes by path (`/api/dora`), answered with JSON. */
  api?: Readonly<Record<string, ApiHandler>>;
  /**
   * Handlers that answer requests themselves (e.g. the sealed secrets' `/v1/cert.pem`), tried in
   * order before the 404; each returns true when it took the request.
   */
  handlers?: ReadonlyArray<(req: IncomingMessage, res: ServerResponse) => boolean>;
  /** Bodies larger than this are refused (413). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The body, or undefined once it passes `limit`: the rest is read and dropped (not kept), so the
 * client still gets its 413 instead of a dropped connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function handle(o: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return healthz(o, res);
  if (req.method === 'GET' && path === '/metrics' && o.metrics)
    return send(res, 200, await o.metrics(), 'text/plain; version=0.0.4');
  if (req.method === 'POST' && path === '/api/resync' && o.onResync)
    return send(res, 200, { queued: o.onResync() });
  if (path === '/api/webhook' && o.onPush) return handleWebhook(o, o.onPush, req, res);
  return routed(o, req, res, path);
}

/** The `api` routes, then the `handlers`; else 404. */
async function routed(
  o: ServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  path: string | undefined,
): Promise<void> {
  const api = apiRoute(o, req.method, path);
  if (api) return answerApi(api, req, res);
  if ((o.handlers ?? []).some((h) => h(req, res))) return;
  return send(res, 404, { error: `no route for ${req.method ?? ''} ${path ?? ''}` });
}

function apiRoute(
  o: ServerOptions,
  method: string | undefined,
  path: string | undefined,
): ApiHandler | undefined {
  if (method !== 'GET' || path === undefined || !o.api || !Object.hasOwn(o.api, path))
    return undefined;
  return o.api[path];
}

async function answerApi(
  api: ApiHandler,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const answer = await api(new URL(req.url ?? '/', 'http://localhost').searchParams);
  send(res, answer.status, answer.body);
}

function healthz(o: ServerOptions, res: ServerResponse): void {
  const h = o.healthz?.() ?? { ok: true, message: 'ok' };
  send(res, h.ok ? 200 : 503, h.message, 'text/plain');
}

/** POST /api/webhook: a signed push refreshes the apps it touches. */
async function handleWebhook(
  o: ServerOptions,
  onPush: NonNullable<ServerOptions['onPush']>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
  const body = await readBody(req, o.maxBodyBytes ?? 1_048_576);
  if (!body) return send(res, 413, { error: 'body too large' });
  const r = parseWebhook(req.headers, body, o.webhookSecrets ?? {});
  if (r.status !== 200) {
    o.log.warn('webhook refused', {
      status: r.status,
      reason: r.message,
      from: req.socket.remoteAddress,
    });
    return send(res, r.status, { error: r.message });
  }
  if (!r.event) return send(res, 200, { refreshed: [], message: r.message });
  const refreshed = await onPush(r.event);
  o.log.info('webhook push', {
    provider: r.event.provider,
    ref: r.event.ref,
    repos: r.event.repos.join(','),
    refreshed: refreshed.length,
  });
  return send(res, 200, { refreshed });
}

/** The address cannot be listened on (taken, not ours, not allowed); `errno` says why, as data. */
export class ListenError extends SluiceError {
  readonly address: string;
  readonly errno: string;

  constructor(address: string, cause: NodeJS.ErrnoException) {
    const errno = cause.code ?? 'unknown';
    const why =
      errno === 'EADDRINUSE'
        ? 'the address is already in use (another controller or `sluice server`?)'
        : errno === 'EADDRNOTAVAIL'
          ? 'no interface of this machine has that address'
          : errno === 'EACCES'
            ? 'not allowed to listen there (ports below 1024 need privileges)'
            : cause.message;
    super('ListenFailed', `cannot listen on ${address}: ${why}`, {
      cause,
      hint: 'choose another address with --listen HOST:PORT, e.g. --listen 127.0.0.1:9090',
    });
    this.name = 'ListenError';
    this.address = address;
    this.errno = errno;
  }
}

const hostPort = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** Starts listening; rejects with a ListenError (naming the address) when it cannot. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      o.log.error('request failed', {
        path: req.url,
        error: err instanceof Error ? err.message : String(err),
      });
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(hostPort(o.host, o.port), err)),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${hostPort(o.host, port)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
