/**
 * The prometheus and web providers against small HTTP servers on 127.0.0.1 that answer as
 * Prometheus (or a web endpoint) would: values, Prometheus' own errors, outages and nonsense,
 * each with the kind of error a Rollout tells apart.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../api/analysis.ts';
import { PrometheusProvider, queryUrl } from './prometheus.ts';
import type { ProviderResult } from './types.ts';
import { WebProvider } from './web.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let server: Server;
let base = '';
let handler: Handler = (_q, _b, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json =
  (status: number, body: unknown): Handler =>
  (_q, _b, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1700000000, v] })),
  },
});
const signal = new AbortController().signal;

const prom = (address: string, timeout?: number): Metric => ({
  name: 'rate',
  provider: { prometheus: { address, query: 'up', ...(timeout ? { timeout } : {}) } },
});
const measure = (m: Metric): Promise<ProviderResult> =>
  new PrometheusProvider().measure(m, new Map(), signal);

describe('prometheus provider', () => {
  it.each([
    ['a vector', json(200, vector('0.99')), [0.99]],
    ['an empty vector', json(200, vector()), []],
    ['special floats', json(200, vector('NaN', '+Inf', '-Inf')), [NaN, Infinity, -Infinity]],
    [
      'a scalar',
      json(200, { status: 'success', data: { resultType: 'scalar', result: [1, '0.5'] } }),
      0.5,
    ],
  ])('%s', async (_n, h, value) => {
    handler = h;
    expect(await measure(prom(base))).toEqual({ kind: 'value', value });
  });

  it('posts the query to /api/v1/query, with headers, under a path prefix too', async () => {
    let seen = '';
    handler = (req, body, res) => {
      seen = `${req.method} ${req.url} ${req.headers['x-scope'] as string} ${new URLSearchParams(body).get('query')}`;
      json(200, vector('1'))(req, body, res);
    };
    const m = prom(`${base}/prom`);
    m.provider.prometheus!.headers = [{ key: 'X-Scope', value: 'team-a' }];
    await measure(m);
    expect(seen).toBe('POST /prom/api/v1/query team-a up');
    expect(queryUrl('http://p:9090')).toBe('http://p:9090/api/v1/query');
  });

  it.each([
    [
      "a PromQL syntax error: QueryError with Prometheus' message",
      json(400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:5: parse error: unexpected ")"',
      }),
      'QueryError',
      'rejected the query: bad_data: invalid parameter "query": 1:5: parse error: unexpected ")"',
    ],
    [
      'an execution error (422)',
      json(422, {
        status: 'error',
        errorType: 'execution',
        error: 'many-to-many matching not allowed',
      }),
      'QueryError',
      'rejected the query: execution: many-to-many matching not allowed',
    ],
    [
      "a proxy's HTML",
      json(502, '<html>Bad Gateway</html>'),
      'BadResponse',
      "answered HTTP 502 that is not Prometheus' JSON: <html>Bad Gateway</html>",
    ],
    [
      'a range vector',
      json(200, { status: 'success', data: { resultType: 'matrix', result: [] } }),
      'BadResponse',
      'answered with a matrix result; a metric needs an instant vector or a scalar',
    ],
    [
      "JSON that is not Prometheus'",
      json(200, { hello: 1 }),
      'BadResponse',
      'answered HTTP 200: {"hello":1}',
    ],
  ])('%s', async (_n, h, kind, message) => {
    handler = h;
    const r = await measure(prom(base));
    expect(r.kind).toBe('error');
    if (r.kind !== 'error') return;
    expect(r.error.kind).toBe(kind);
    expect(r.error.message).toContain(
      `Prometheus at ${base} ${message.startsWith('answered') ? '' : ''}`,
    );
    expect(r.error.message).toContain(message);
  });

  it('a closed port is Unreachable, naming the address and the cause', async () => {
    const r = await measure(prom('http://127.0.0.1:9/'));
    expect(r).toMatchObject({ kind: 'error', error: { kind: 'Unreachable' } });
    if (r.kind === 'error')
      expect(r.error.message).toBe(
        'Prometheus unreachable at http://127.0.0.1:9/: connect ECONNREFUSED 127.0.0.1:9',
      );
  });

  it('no answer within the timeout is Unreachable', async () => {
    handler = () => undefined; // never answers
    const r = await measure(prom(base, 1));
    expect(r).toMatchObject({ kind: 'error', error: { kind: 'Unreachable' } });
    if (r.kind === 'error')
      expect(r.error.message).toBe(`Prometheus unreachable at ${base}: no answer within 1s`);
  });

  it('a cancelled reconcile is not a measurement', async () => {
    handler = () => undefined;
    const stop = new AbortController();
    const p = new PrometheusProvider().measure(prom(base), new Map(), stop.signal);
    stop.abort();
    await expect(p).rejects.toThrow();
  });
});

const web = (
  path: string,
  extra: Partial<NonNullable<Metric['provider']['web']>> = {},
): Metric => ({
  name: 'health',
  provider: { web: { url: `${base}${path}`, ...extra } },
});
const measureWeb = (m: Metric): Promise<ProviderResult> =>
  new WebProvider().measure(m, new Map(), signal);

describe('web provider', () => {
  it.each([
    ['the whole body', {}, { status: 'ok', n: [1, 2] }, { status: 'ok', n: [1, 2] }],
    ['a jsonPath', { jsonPath: '{$.n[1]}' }, { n: [1, 2] }, 2],
    ['a boolean', { jsonPath: '$.ok' }, { ok: true }, true],
    ['a null', { jsonPath: '$.v' }, { v: null }, null],
  ])('%s', async (_n, extra, body, value) => {
    handler = json(200, body);
    expect(await measureWeb(web('/x', extra))).toEqual({ kind: 'value', value });
  });

  it('sends method, headers and body', async () => {
    let seen = '';
    handler = (req, body, res) => {
      seen = `${req.method} ${req.headers['authorization'] as string} ${body}`;
      json(200, { ok: true })(req, body, res);
    };
    await measureWeb(
      web('/x', {
        method: 'POST',
        body: '{"q":1}',
        headers: [{ key: 'Authorization', value: 'Bearer t' }],
      }),
    );
    expect(seen).toBe('POST Bearer t {"q":1}');
  });

  it.each([
    ['HTTP 500', json(500, 'boom'), {}, 'BadResponse', `${'/x'} answered HTTP 500: boom`],
    ['not JSON', json(200, 'hello'), {}, 'BadResponse', 'did not answer JSON: hello'],
    [
      'nothing at the path',
      json(200, { a: 1 }),
      { jsonPath: '$.b' },
      'BadResponse',
      'answered JSON without $.b',
    ],
  ])('%s', async (_n, h, extra, kind, message) => {
    handler = h;
    const r = await measureWeb(web('/x', extra));
    expect(r).toMatchObject({ kind: 'error', error: { kind } });
    if (r.kind === 'error') expect(r.error.message).toContain(message);
  });

  it('a closed port is Unreachable', async () => {
    const r = await measureWeb({
      name: 'w',
      provider: { web: { url: 'http://127.0.0.1:9/health' } },
    });
    expect(r).toMatchObject({ kind: 'error', error: { kind: 'Unreachable' } });
    if (r.kind === 'error')
      expect(r.error.message).toBe(
        'web metric endpoint unreachable at http://127.0.0.1:9/health: connect ECONNREFUSED 127.0.0.1:9',
      );
  });
});
