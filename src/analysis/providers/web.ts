/**
 * The web provider: an HTTP request (GET by default; `method`, `headers`, `body`) whose JSON
 * answer, or the part `jsonPath` points at (`{$.data.ok}`), is the result. Default timeout 10 s,
 * as Argo Rollouts. Cannot connect or no answer: Unreachable; not 2xx, not JSON, or nothing at
 * `jsonPath`: BadResponse. Never Failed: only the metric's conditions judge the value.
 */
import type { Metric } from '../../api/analysis.ts';
import { toValue } from '../expr/index.ts';
import { parsePath, readPath } from '../jsonpath.ts';
import { httpRequest, snippet } from './http.ts';
import { failed, ProviderError, type Provider, type ProviderResult } from './types.ts';

export const DEFAULT_WEB_TIMEOUT_S = 10;

export class WebProvider implements Provider {
  async measure(metric: Metric, _args: unknown, signal: AbortSignal): Promise<ProviderResult> {
    const w = metric.provider.web;
    if (!w) throw new Error(`metric ${metric.name} has no web provider`);
    try {
      const segments = w.jsonPath ? parsePath(w.jsonPath, `metric ${metric.name}: jsonPath`) : [];
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const h of w.headers ?? []) headers[h.key] = h.value;
      const answer = await httpRequest(
        {
          url: w.url,
          method: w.method ?? 'GET',
          headers,
          ...(w.body !== undefined ? { body: w.body } : {}),
          timeoutMs: (w.timeoutSeconds ?? DEFAULT_WEB_TIMEOUT_S) * 1000,
        },
        { what: 'web metric endpoint', at: w.url },
        signal,
      );
      if (answer.status < 200 || answer.status > 299)
        throw new ProviderError(
          'BadResponse',
          `${w.url} answered HTTP ${answer.status}: ${snippet(answer.text)}`,
        );
      let json: unknown;
      try {
        json = JSON.parse(answer.text);
      } catch {
        throw new ProviderError(
          'BadResponse',
          `${w.url} did not answer JSON: ${snippet(answer.text)}`,
        );
      }
      const value = readPath(json, segments);
      if (value === undefined)
        throw new ProviderError(
          'BadResponse',
          `${w.url} answered JSON without ${w.jsonPath ?? '$'}: ${snippet(answer.text)}`,
        );
      return { kind: 'value', value: toValue(value) };
    } catch (err) {
      if (err instanceof ProviderError) return failed(err);
      throw err;
    }
  }
}
