/**
 * Traffic for the demo's canary app: a steady trickle of requests to its Services (so the
 * analysis has requests to judge), and a sample that says which version answers. Every request
 * opens its own connection, so kube-proxy spreads them over the pods as it would for many
 * clients. The sample app answers `/` with `{"version":"v2",...}` (a 500 with probability
 * ERROR_RATE).
 */
import { request } from 'node:http';

export interface Answer {
  /** HTTP status, or 0 when the request failed (refused, timed out). */
  status: number;
  version?: string;
}

/** One GET on a new connection; never throws. */
export function ask(url: string, timeoutMs = 2000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...versionIn(body) }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0 }));
    req.end();
  });
}

function versionIn(body: string): { version?: string } {
  try {
    const v = (JSON.parse(body) as { version?: unknown }).version;
    return typeof v === 'string' ? { version: v } : {};
  } catch {
    return {};
  }
}

export interface Load {
  /** Requests sent so far, by HTTP status (0: failed). */
  counts(): ReadonlyMap<number, number>;
  stop(): Promise<void>;
}

/** `perSecond` requests a second to each URL, until stopped. */
export function startLoad(urls: readonly string[], perSecond: number): Load {
  const counts = new Map<number, number>();
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    for (const url of urls) {
      const p = ask(url).then((a) => {
        counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }, 1000 / perSecond);
  return {
    counts: () => counts,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

export interface Sample {
  total: number;
  /** Answers by version (`?` when the body named none, e.g. a failed request). */
  byVersion: ReadonlyMap<string, number>;
}

/** `n` requests to each URL, one after the other: who answers. */
export async function sample(urls: readonly string[], n: number): Promise<Sample> {
  const byVersion = new Map<string, number>();
  let total = 0;
  for (const url of urls) {
    for (let i = 0; i < n; i++) {
      const a = await ask(url);
      const v = a.version ?? '?';
      byVersion.set(v, (byVersion.get(v) ?? 0) + 1);
      total++;
    }
  }
  return { total, byVersion };
}
