/**
 * Which provider measures a metric. Prometheus and web providers hold no state and are shared;
 * a job provider is made per measurement (it needs the run and the measurement's number).
 */
import type { Metric } from '../../api/analysis.ts';
import { JobProvider, type JobProviderOptions } from './job.ts';
import { PrometheusProvider } from './prometheus.ts';
import type { Provider } from './types.ts';
import { WebProvider } from './web.ts';

export type { Provider, ProviderResult, ProviderErrorKind } from './types.ts';
export { ProviderError } from './types.ts';

export interface Providers {
  prometheus: Provider;
  web: Provider;
  job: (options: JobProviderOptions) => Provider;
}

export const defaultProviders = (): Providers => ({
  prometheus: new PrometheusProvider(),
  web: new WebProvider(),
  job: (options) => new JobProvider(options),
});

export function providerFor(
  metric: Metric,
  providers: Providers,
  job: JobProviderOptions,
): Provider {
  if (metric.provider.prometheus) return providers.prometheus;
  if (metric.provider.web) return providers.web;
  if (metric.provider.job) return providers.job(job);
  throw new Error(`metric ${metric.name} has no provider`);
}
