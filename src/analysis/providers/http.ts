/**
 * HTTP for providers: one request with a timeout, its failure to connect turned into an
 * Unreachable ProviderError that says why (`connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo
 * ENOTFOUND prometheus.monitoring`, `no answer within 30s`). A cancelled reconcile (`signal`)
 * is rethrown as it is: that is not a measurement.
 */
import { request } from 'undici';
import { ProviderError } from './types.ts';

export interface HttpAnswer {
  status: number;
  text: string;
  contentType: string;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Answers up to this size are read; providers return numbers and small JSON documents. */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Sends `req`; a failure to connect is `${what} unreachable at ${at}: why` (`at` is the address
 * as the user wrote it, e.g. Prometheus' `address`).
 */
export async function httpRequest(
  req: HttpRequest,
  who: { what: string; at: string },
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  try {
    // undici's request, not fetch: fetch refuses "bad ports" (9, 6000, ...) that people do use.
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.any([signal, timeout]),
    });
    const text = await readBounded(res.body, who);
    const type = res.headers['content-type'];
    return {
      status: res.statusCode,
      text,
      contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''),
    };
  } catch (err) {
    if (signal.aborted || err instanceof ProviderError) throw err;
    const why = timeout.aborted ? `no answer within ${req.timeoutMs / 1000}s` : networkReason(err);
    throw new ProviderError('Unreachable', `${who.what} unreachable at ${who.at}: ${why}`, {
      cause: err,
    });
  }
}

async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  who: { what: string; at: string },
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new ProviderError(
        'BadResponse',
        `${who.what} at ${who.at} answered more than ${MAX_BODY / 1024 / 1024} MiB`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The innermost useful message of a fetch failure (wrapped socket errors, several addresses). */
export function networkReason(err: unknown): string {
  let cur: unknown = err;
  let best = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    if (cur instanceof AggregateError && cur.errors[0] instanceof Error) cur = cur.errors[0];
    if (cur instanceof Error && cur.message && cur.message !== 'fetch failed') best = cur.message;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return best;
}

/** The first characters of an answer, for a message. */
export const snippet = (text: string): string => {
  const one = text.trim().replace(/\s+/g, ' ');
  return one.length > 200 ? `${one.slice(0, 197)}...` : one;
};
