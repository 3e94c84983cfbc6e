/**
 * AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun: metrics carry over by name; of
 * Argo Rollouts' providers Sluice measures with prometheus, web and job. A metric asking
 * another provider is named with its path, so the team can rewrite that query.
 */
import { formatPath, isJson, type Json, type Rewrite } from './types.ts';

export const SUPPORTED_PROVIDERS = ['prometheus', 'web', 'job'] as const;

const PROVIDER_NAMES: Record<string, string> = {
  datadog: 'Datadog',
  newRelic: 'New Relic',
  wavefront: 'Wavefront',
  kayenta: 'Kayenta',
  cloudWatch: 'CloudWatch',
  graphite: 'Graphite',
  influxdb: 'InfluxDB',
  skywalking: 'SkyWalking',
  plugin: 'metric provider plugins',
};

export function analysisRewrite(obj: Json): Rewrite {
  const spec = isJson(obj['spec']) ? obj['spec'] : {};
  const metrics = Array.isArray(spec['metrics']) ? (spec['metrics'] as unknown[]) : [];
  const issues = metrics.flatMap((m, i) => {
    const provider = isJson(m) && isJson(m['provider']) ? m['provider'] : {};
    const metric = isJson(m) && typeof m['name'] === 'string' ? m['name'] : `#${i}`;
    return Object.keys(provider)
      .filter((key) => !(SUPPORTED_PROVIDERS as readonly string[]).includes(key))
      .map((key) => ({
        path: formatPath(['spec', 'metrics', i, 'provider', key]),
        kind: 'unsupported' as const,
        message: `metric ${metric}: the ${PROVIDER_NAMES[key] ?? key} provider is not supported (Sluice measures with ${SUPPORTED_PROVIDERS.join(', ')}); without one this metric cannot be measured`,
      }));
  });
  return { edits: [], issues };
}
