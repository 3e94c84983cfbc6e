/**
 * The prometheus provider: an instant query on Prometheus' HTTP API (`/api/v1/query`). A vector
 * becomes an array of numbers (`[0.99]`, `[]` when nothing matched), a scalar a number; NaN and
 * ±Inf come through as such. Failures keep what Prometheus said:
 *
 * - cannot connect, or no answer within `timeout` (default 30 s): Unreachable
 * - `{"status":"error","errorType":"bad_data","error":"1:5: parse error: ..."}`: QueryError with
 *   Prometheus' own message
 * - anything else unexpected (HTML, a matrix, a proxy's 502): BadResponse
 */
import type { Metric } from '../../api/analysis.ts';
import type { Value } from '../expr/index.ts';
import { httpRequest, snippet, type HttpAnswer } from './http.ts';
import { failed, ProviderError, type Provider, type ProviderResult } from './types.ts';

export const DEFAULT_PROMETHEUS_TIMEOUT_S = 30;

interface PromAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Prometheus spells special floats `NaN`, `+Inf`, `-Inf`. */
export function promNumber(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return typeof text === 'string' && text !== '' ? Number(text) : NaN;
}

/** `http://prom:9090` or `http://prom:9090/prefix/` + `api/v1/query`. */
export function queryUrl(address: string): string {
  const base = address.endsWith('/') ? address : `${address}/`;
  return new URL('api/v1/query', base).toString();
}

function parseAnswer(answer: HttpAnswer, at: string): PromAnswer {
  try {
    const json = JSON.parse(answer.text) as unknown;
    if (typeof json === 'object' && json !== null) return json;
  } catch {
    // reported below
  }
  throw new ProviderError(
    'BadResponse',
    `Prometheus at ${at} answered HTTP ${answer.status} that is not Prometheus' JSON: ${snippet(answer.text)}`,
  );
}

/** `{"metric": {...}, "value": [1700000000.1, "0.99"]}` -> `"0.99"`. */
function sampleValue(sample: unknown): unknown {
  const value =
    typeof sample === 'object' && sample !== null
      ? (sample as { value?: unknown }).value
      : undefined;
  return Array.isArray(value) ? (value as unknown[])[1] : undefined;
}

/** The query's result as a condition sees it. */
export function resultValue(data: PromAnswer['data'], at: string): Value {
  const type = data?.resultType;
  const result = data?.result;
  if (type === 'vector' && Array.isArray(result)) {
    return (result as unknown[]).map((sample) => promNumber(sampleValue(sample)));
  }
  if (type === 'scalar' && Array.isArray(result)) return promNumber(result[1]);
  throw new ProviderError(
    'BadResponse',
    `Prometheus at ${at} answered with a ${typeof type === 'string' ? type : 'result'} result; a metric needs an instant vector or a scalar`,
    { hint: 'a range selector like x[5m] needs a function such as rate() or sum_over_time()' },
  );
}

export class PrometheusProvider implements Provider {
  async measure(metric: Metric, _args: unknown, signal: AbortSignal): Promise<ProviderResult> {
    const p = metric.provider.prometheus;
    if (!p) throw new Error(`metric ${metric.name} has no prometheus provider`);
    const at = p.address;
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      for (const h of p.headers ?? []) headers[h.key] = h.value;
      const timeoutS = p.timeout ?? DEFAULT_PROMETHEUS_TIMEOUT_S;
      const answer = await httpRequest(
        {
          url: queryUrl(at),
          method: 'POST',
          headers,
          body: new URLSearchParams({ query: p.query, timeout: `${timeoutS}s` }).toString(),
          timeoutMs: timeoutS * 1000,
        },
        { what: 'Prometheus', at },
        signal,
      );
      const json = parseAnswer(answer, at);
      if (json.status === 'error') {
        const type = typeof json.errorType === 'string' ? `${json.errorType}: ` : '';
        const why = typeof json.error === 'string' ? json.error : snippet(answer.text);
        throw new ProviderError(
          'QueryError',
          `Prometheus at ${at} rejected the query: ${type}${why}`,
        );
      }
      if (answer.status < 200 || answer.status > 299 || json.status !== 'success') {
        throw new ProviderError(
          'BadResponse',
          `Prometheus at ${at} answered HTTP ${answer.status}: ${snippet(answer.text)}`,
        );
      }
      return { kind: 'value', value: resultValue(json.data, at) };
    } catch (err) {
      if (err instanceof ProviderError) return failed(err);
      throw err;
    }
  }
}
