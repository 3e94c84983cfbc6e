/**
 * AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun (sluice.dev/v1alpha1), with Argo
 * Rollouts' field names, so `apiVersion: argoproj.io/v1alpha1` -> `sluice.dev/v1alpha1` is the
 * only change a team makes. A template lists metrics; each metric asks a provider (prometheus,
 * web, job) for a value every `interval` and judges it with `successCondition` /
 * `failureCondition`. A run is a template instantiated with arguments, for one revision.
 *
 * The schemas are the single source of truth: types derive from them, CRDs are generated.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { FreeForm, IntOrString, StringEnum } from './schema.ts';

const Opt = Type.Optional;

export const ANALYSIS_TEMPLATE_KIND = 'AnalysisTemplate';
export const CLUSTER_ANALYSIS_TEMPLATE_KIND = 'ClusterAnalysisTemplate';
export const ANALYSIS_RUN_KIND = 'AnalysisRun';

export const ValueFromSchema = Type.Object({
  secretKeyRef: Opt(Type.Object({ name: Type.String(), key: Type.String() })),
  fieldRef: Opt(
    Type.Object(
      { fieldPath: Type.String() },
      { description: "a field of the Rollout, e.g. metadata.labels['app']" },
    ),
  ),
  podTemplateHashValue: Opt(
    StringEnum(['Stable', 'Latest'] as const, 'the stable or the newest pod-template hash'),
  ),
});

export const ArgumentSchema = Type.Object({
  name: Type.String(),
  value: Opt(Type.String()),
  valueFrom: Opt(ValueFromSchema),
});

export const PrometheusProviderSchema = Type.Object({
  address: Type.String({ description: 'e.g. http://prometheus.monitoring:9090' }),
  query: Type.String({ description: 'PromQL; {{args.name}} is replaced by the argument' }),
  timeout: Opt(Type.Integer({ minimum: 1, description: 'seconds; default 30' })),
  headers: Opt(Type.Array(Type.Object({ key: Type.String(), value: Type.String() }))),
});

export const WebProviderSchema = Type.Object({
  url: Type.String(),
  method: Opt(StringEnum(['GET', 'POST', 'PUT'] as const)),
  headers: Opt(Type.Array(Type.Object({ key: Type.String(), value: Type.String() }))),
  body: Opt(Type.String()),
  jsonPath: Opt(Type.String({ description: 'e.g. {$.data.ok}; default the whole body' })),
  timeoutSeconds: Opt(Type.Integer({ minimum: 1 })),
});

export const JobProviderSchema = Type.Object({
  metadata: Opt(FreeForm('labels and annotations of the Job')),
  spec: FreeForm('a batch/v1 JobSpec; exit 0 is Successful, a failed Job is Failed'),
});

export const MetricProviderSchema = Type.Object({
  prometheus: Opt(PrometheusProviderSchema),
  web: Opt(WebProviderSchema),
  job: Opt(JobProviderSchema),
});

export const MetricSchema = Type.Object({
  name: Type.String(),
  interval: Opt(Type.String({ description: 'between measurements, e.g. 30s; default once' })),
  initialDelay: Opt(Type.String({ description: 'before the first measurement, e.g. 1m' })),
  count: Opt(IntOrString('measurements to take; default 1 without interval, else unbounded')),
  successCondition: Opt(Type.String({ description: 'e.g. result[0] >= 0.99' })),
  failureCondition: Opt(Type.String({ description: 'e.g. result[0] < 0.9' })),
  failureLimit: Opt(IntOrString('Failed measurements tolerated; default 0')),
  inconclusiveLimit: Opt(IntOrString('Inconclusive measurements tolerated; default 0')),
  consecutiveErrorLimit: Opt(
    IntOrString('Errors in a row tolerated (a provider outage); default 4'),
  ),
  provider: MetricProviderSchema,
});

export const AnalysisTemplateSpecSchema = Type.Object({
  metrics: Type.Array(MetricSchema),
  args: Opt(Type.Array(ArgumentSchema)),
  dryRun: Opt(
    Type.Array(Type.Object({ metricName: Type.String() }), {
      description: 'metrics measured but never failing the run',
    }),
  ),
  measurementRetention: Opt(
    Type.Array(Type.Object({ metricName: Type.String(), limit: Type.Integer({ minimum: 1 }) })),
  ),
});

export const ANALYSIS_PHASES = [
  'Pending',
  'Running',
  'Successful',
  'Failed',
  'Error',
  'Inconclusive',
] as const;
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

export const MeasurementSchema = Type.Object({
  phase: StringEnum(ANALYSIS_PHASES),
  value: Opt(Type.String({ description: 'the provider result, as JSON' })),
  message: Opt(Type.String()),
  startedAt: Opt(Type.String()),
  finishedAt: Opt(Type.String()),
  resumeAt: Opt(Type.String({ description: 'when the next measurement is due' })),
  metadata: Opt(FreeForm()),
});

export const MetricResultSchema = Type.Object({
  name: Type.String(),
  phase: StringEnum(ANALYSIS_PHASES),
  measurements: Opt(Type.Array(MeasurementSchema, { description: 'the latest ones (bounded)' })),
  message: Opt(Type.String()),
  count: Opt(Type.Integer()),
  successful: Opt(Type.Integer()),
  failed: Opt(Type.Integer()),
  inconclusive: Opt(Type.Integer()),
  error: Opt(Type.Integer()),
  consecutiveError: Opt(Type.Integer()),
  dryRun: Opt(Type.Boolean()),
});

export const AnalysisRunSpecSchema = Type.Object({
  metrics: Type.Array(MetricSchema),
  args: Opt(Type.Array(ArgumentSchema, { description: 'resolved: every value set' })),
  terminate: Opt(Type.Boolean({ description: 'stop measuring; the run ends with what it has' })),
  dryRun: Opt(Type.Array(Type.Object({ metricName: Type.String() }))),
  measurementRetention: Opt(
    Type.Array(Type.Object({ metricName: Type.String(), limit: Type.Integer({ minimum: 1 }) })),
  ),
});

export const AnalysisRunStatusSchema = Type.Object({
  phase: Opt(StringEnum(ANALYSIS_PHASES)),
  message: Opt(Type.String()),
  metricResults: Opt(Type.Array(MetricResultSchema)),
  startedAt: Opt(Type.String()),
  runSummary: Opt(
    Type.Object({
      count: Opt(Type.Integer()),
      successful: Opt(Type.Integer()),
      failed: Opt(Type.Integer()),
      inconclusive: Opt(Type.Integer()),
      error: Opt(Type.Integer()),
    }),
  ),
});

export type Argument = Static<typeof ArgumentSchema>;
export type Metric = Static<typeof MetricSchema>;
export type MetricProvider = Static<typeof MetricProviderSchema>;
export type AnalysisTemplateSpec = Static<typeof AnalysisTemplateSpecSchema>;
export type Measurement = Static<typeof MeasurementSchema>;
export type MetricResult = Static<typeof MetricResultSchema>;
export type AnalysisRunSpec = Static<typeof AnalysisRunSpecSchema>;
export type AnalysisRunStatus = Static<typeof AnalysisRunStatusSchema>;

export interface AnalysisTemplate extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec: AnalysisTemplateSpec;
}

export interface AnalysisRun extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: AnalysisRunSpec;
  status?: AnalysisRunStatus;
}
