/**
 * A Git smart-HTTP server on 127.0.0.1 that demands Basic or Bearer authentication
 * and hands authorised requests to the real `git http-backend` as a CGI program.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories served (GIT_PROJECT_ROOT). */
  projectRoot: string;
  username: string;
  password: string;
  /** Also accepted as `Authorization: Bearer <token>`. */
  bearerToken: string;
  /** Listen on this port (default: any free one); lets a test restart a server in place. */
  port?: number;
  /** Called before each request is answered; a test can hold the request there. */
  onRequest?: () => Promise<void>;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  baseURL: string;
  /** Authorization headers received, in order. */
  authHeaders: Array<string | undefined>;
  close(): Promise<void>;
}

function authorised(header: string | undefined, o: GitHttpServerOptions): boolean {
  if (header === undefined) return false;
  const basic = Buffer.from(`${o.username}:${o.password}`).toString('base64');
  return header === `Basic ${basic}` || header === `Bearer ${o.bearerToken}`;
}

/** Splits CGI output into its header block and the start of the body. */
function splitHeaders(buf: Buffer): { head: string; body: Buffer } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  const [at, len] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  return { head: buf.subarray(0, at).toString('latin1'), body: buf.subarray(at + len) };
}

function runBackend(req: IncomingMessage, res: ServerResponse, o: GitHttpServerOptions): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: o.projectRoot,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: o.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'test',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  req.pipe(child.stdin);
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (started) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const split = splitHeaders(pending);
    if (!split) return;
    started = true;
    for (const line of split.head.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10);
      else if (name !== '') res.setHeader(name, value);
    }
    res.write(split.body);
  });
  child.on('close', () => res.end());
  child.on('error', () => {
    res.statusCode = 500;
    res.end();
  });
}

/** Starts the server on a free loopback port. */
export async function startGitHttpServer(o: GitHttpServerOptions): Promise<GitHttpServer> {
  const authHeaders: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    void (o.onRequest ?? (() => Promise.resolve()))().then(() => answer(req, res));
  });
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const header = req.headers.authorization;
    authHeaders.push(header);
    if (!authorised(header, o)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sluice-test"' });
      res.end('unauthorised\n');
      req.resume();
      return;
    }
    runBackend(req, res, o);
  };
  await new Promise<void>((done) => server.listen(o.port ?? 0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    authHeaders,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
