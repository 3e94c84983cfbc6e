/** Ports and local HTTPS probes for the dev cluster's components. */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';

/** Asks the kernel for a free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already listens on 127.0.0.1:port. */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface TlsClient {
  ca: string;
  cert: string;
  key: string;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** GET a URL once; https with the given client identity, or without verification if none. */
export async function probe(url: string, tls?: TlsClient, timeoutMs = 2000): Promise<ProbeResult> {
  const u = new URL(url);
  const creds = tls
    ? { ca: await readFile(tls.ca), cert: await readFile(tls.cert), key: await readFile(tls.key) }
    : { rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', timeout: timeoutMs, ...(u.protocol === 'https:' ? creds : {}) };
    const req = (u.protocol === 'https:' ? request : httpRequest)(u, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
