/**
 * The controller's HTTP routes, as the Sealed Secrets controller serves them (kubeseal reaches
 * them through the API server's service proxy):
 *
 *     GET  /v1/cert.pem   the newest key's certificate (what `sluice seal` / `kubeseal --cert` seal for)
 *     POST /v1/verify     a SealedSecret (JSON or YAML): 200 if every blob opens, 409 with the reason
 *     POST /v1/rotate     a SealedSecret: the same, re-sealed with the newest key (kubeseal --re-encrypt)
 *
 * Exported as a plain Node handler the Manager's server mounts; it answers `false` for paths it
 * does not serve. Answers never echo plaintext.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'yaml';
import { errorMessage } from '../errors.ts';
import { SealedError } from './errors.ts';
import type { SealingKey } from './keys.ts';
import { parseSealedSecret, reEncrypt } from './seal.ts';
import { openAll } from './unseal.ts';

export interface SealedSecretsHttpOptions {
  /** The keys, newest first (KeyStore.keys). */
  keys: () => SealingKey[];
  /** Bodies larger than this are refused (413). Default 1 MiB. */
  maxBodyBytes?: number;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

function text(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handlePost(
  o: SealedSecretsHttpOptions,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req, o.maxBodyBytes ?? 1 << 20);
  if (body === undefined) return text(res, 413, 'request body too large\n');
  const keys = o.keys();
  try {
    const ss = parseSealedSecret(parse(body) as unknown, 'the request body');
    if (path === '/v1/verify') {
      openAll(ss, keys);
      return text(res, 200, 'OK\n');
    }
    const newest = keys[0];
    if (!newest) return text(res, 503, 'the controller has no sealing key yet\n');
    return text(res, 200, JSON.stringify(reEncrypt(ss, keys, newest)), 'application/json');
  } catch (err) {
    if (err instanceof SealedError) {
      return text(res, err.code === 'InvalidInput' ? 400 : 409, `${err.describe()}\n`);
    }
    return text(res, 400, `${errorMessage(err)}\n`);
  }
}

/** The handler for /v1/cert.pem, /v1/verify and /v1/rotate. */
export function sealedSecretsHandler(o: SealedSecretsHttpOptions): NodeHandler {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/v1/cert.pem') {
      const newest = o.keys()[0];
      if (!newest) text(res, 503, 'the controller has no sealing key yet; try again shortly\n');
      else text(res, 200, newest.certificatePem, 'application/x-pem-file');
      return true;
    }
    if (req.method === 'POST' && (path === '/v1/verify' || path === '/v1/rotate')) {
      handlePost(o, path, req, res).catch((err: unknown) => {
        if (!res.headersSent) text(res, 500, `${errorMessage(err)}\n`);
        else res.end();
      });
      return true;
    }
    return false;
  };
}
