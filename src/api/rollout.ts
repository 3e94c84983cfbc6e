/**
 * The Rollout resource (sluice.dev/v1alpha1): a Deployment that moves to a new version in steps
 * (canary) or side by side (blue-green), gated by analysis. Field names are Argo Rollouts', so a
 * team's manifests move over by changing `apiVersion` alone; what Sluice does not support is
 * kept by the API server and named by `sluice convert`.
 *
 * The schemas are the single source of truth: types derive from them, the CRD is generated.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { ArgumentSchema } from './analysis.ts';
import { FreeForm, IntOrString, StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const ROLLOUT_KIND = 'Rollout';

export const AnalysisTemplateRefSchema = Type.Object({
  templateName: Type.String(),
  clusterScope: Opt(Type.Boolean({ description: 'a ClusterAnalysisTemplate' })),
});

const OnErrorSchema = StringEnum(
  ['Abort', 'Pause'] as const,
  'what a run in Error (the provider could not answer) does: Abort (default) or Pause the rollout until promoted',
);

export const RolloutAnalysisSchema = Type.Object({
  templates: Type.Array(AnalysisTemplateRefSchema),
  args: Opt(Type.Array(ArgumentSchema)),
  onError: Opt(OnErrorSchema),
});

export const BackgroundAnalysisSchema = Type.Object({
  templates: Type.Array(AnalysisTemplateRefSchema),
  args: Opt(Type.Array(ArgumentSchema)),
  onError: Opt(OnErrorSchema),
  startingStep: Opt(Type.Integer({ minimum: 0, description: 'start at this step index' })),
});

export const HeaderMatchSchema = Type.Object({
  headerName: Type.String(),
  headerValue: Type.Object({
    exact: Opt(Type.String()),
    prefix: Opt(Type.String()),
    regex: Opt(Type.String()),
  }),
});

export const CanaryStepSchema = Type.Object({
  setWeight: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
  pause: Opt(
    Type.Object(
      { duration: Opt(IntOrString('seconds, or 30s / 10m / 1h; absent: until promoted')) },
      { description: '{} waits for `sluice rollout promote`' },
    ),
  ),
  setCanaryScale: Opt(
    Type.Object({
      weight: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
      replicas: Opt(Type.Integer({ minimum: 0 })),
      matchTrafficWeight: Opt(Type.Boolean()),
    }),
  ),
  analysis: Opt(RolloutAnalysisSchema),
  setHeaderRoute: Opt(
    Type.Object({ name: Type.String(), match: Opt(Type.Array(HeaderMatchSchema)) }),
  ),
  experiment: Opt(FreeForm('not supported by Sluice: the rollout stops with a clear condition')),
});

export const TrafficRoutingSchema = Type.Object({
  nginx: Opt(
    Type.Object({
      stableIngress: Type.String({ description: 'the Ingress that routes to the stable Service' }),
      annotationPrefix: Opt(Type.String({ description: 'default nginx.ingress.kubernetes.io' })),
      additionalIngressAnnotations: Opt(StringMap()),
    }),
  ),
  plugins: Opt(
    FreeForm(
      'Argo Rollouts plugins; `argoproj-labs/gatewayAPI: {httpRoute, namespace}` is understood',
    ),
  ),
  managedRoutes: Opt(Type.Array(Type.Object({ name: Type.String() }))),
});

export const CanaryStrategySchema = Type.Object({
  canaryService: Opt(Type.String()),
  stableService: Opt(Type.String()),
  steps: Opt(Type.Array(CanaryStepSchema)),
  analysis: Opt(BackgroundAnalysisSchema),
  trafficRouting: Opt(TrafficRoutingSchema),
  maxSurge: Opt(IntOrString('default 25%')),
  maxUnavailable: Opt(IntOrString('default 25%')),
  dynamicStableScale: Opt(Type.Boolean()),
  abortScaleDownDelaySeconds: Opt(Type.Integer({ minimum: 0, description: 'default 30' })),
  scaleDownDelaySeconds: Opt(Type.Integer({ minimum: 0 })),
  canaryMetadata: Opt(Type.Object({ labels: Opt(StringMap()), annotations: Opt(StringMap()) })),
  stableMetadata: Opt(Type.Object({ labels: Opt(StringMap()), annotations: Opt(StringMap()) })),
});

export const BlueGreenStrategySchema = Type.Object({
  activeService: Type.String(),
  previewService: Opt(Type.String()),
  autoPromotionEnabled: Opt(Type.Boolean({ description: 'default true' })),
  autoPromotionSeconds: Opt(Type.Integer({ minimum: 0 })),
  previewReplicaCount: Opt(Type.Integer({ minimum: 0 })),
  scaleDownDelaySeconds: Opt(Type.Integer({ minimum: 0, description: 'default 30' })),
  abortScaleDownDelaySeconds: Opt(Type.Integer({ minimum: 0, description: 'default 30' })),
  prePromotionAnalysis: Opt(RolloutAnalysisSchema),
  postPromotionAnalysis: Opt(RolloutAnalysisSchema),
});

export const RolloutSpecSchema = Type.Object({
  replicas: Opt(Type.Integer({ minimum: 0, description: 'default 1' })),
  selector: Opt(FreeForm('a LabelSelector; must match the template labels')),
  template: Opt(FreeForm('a PodTemplateSpec (or use workloadRef)')),
  workloadRef: Opt(
    Type.Object({
      apiVersion: Type.String(),
      kind: Type.String(),
      name: Type.String(),
      scaleDown: Opt(StringEnum(['never', 'onsuccess', 'progressively'] as const)),
    }),
  ),
  minReadySeconds: Opt(Type.Integer({ minimum: 0 })),
  revisionHistoryLimit: Opt(Type.Integer({ minimum: 0, description: 'default 10' })),
  paused: Opt(Type.Boolean()),
  progressDeadlineSeconds: Opt(Type.Integer({ minimum: 1, description: 'default 600' })),
  progressDeadlineAbort: Opt(Type.Boolean()),
  restartAt: Opt(Type.String({ description: 'pods older than this are replaced' })),
  strategy: Type.Object({
    canary: Opt(CanaryStrategySchema),
    blueGreen: Opt(BlueGreenStrategySchema),
  }),
  analysis: Opt(
    Type.Object({
      successfulRunHistoryLimit: Opt(Type.Integer({ minimum: 0 })),
      unsuccessfulRunHistoryLimit: Opt(Type.Integer({ minimum: 0 })),
    }),
  ),
});

export const ROLLOUT_PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

export const RolloutConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
  lastUpdateTime: Opt(Type.String()),
});

export const WeightDestinationSchema = Type.Object({
  weight: Type.Integer(),
  podTemplateHash: Opt(Type.String()),
  serviceName: Opt(Type.String()),
});

export const AnalysisRunRefSchema = Type.Object({
  name: Type.String(),
  status: Opt(Type.String()),
  message: Opt(Type.String()),
});

export const RolloutStatusSchema = Type.Object({
  phase: Opt(StringEnum(ROLLOUT_PHASES)),
  message: Opt(Type.String()),
  observedGeneration: Opt(Type.String()),
  currentPodHash: Opt(Type.String()),
  currentStepIndex: Opt(Type.Integer()),
  currentStepHash: Opt(Type.String()),
  stableRS: Opt(Type.String()),
  replicas: Opt(Type.Integer()),
  updatedReplicas: Opt(Type.Integer()),
  readyReplicas: Opt(Type.Integer()),
  availableReplicas: Opt(Type.Integer()),
  selector: Opt(Type.String()),
  abort: Opt(Type.Boolean()),
  abortedAt: Opt(Type.String()),
  promoteFull: Opt(Type.Boolean()),
  controllerPause: Opt(Type.Boolean()),
  pauseConditions: Opt(
    Type.Array(Type.Object({ reason: Type.String(), startTime: Type.String() })),
  ),
  restartedAt: Opt(Type.String()),
  collisionCount: Opt(Type.Integer()),
  conditions: Opt(Type.Array(RolloutConditionSchema)),
  canary: Opt(
    Type.Object({
      weights: Opt(
        Type.Object({
          canary: WeightDestinationSchema,
          stable: WeightDestinationSchema,
        }),
      ),
      currentStepAnalysisRunStatus: Opt(AnalysisRunRefSchema),
      currentBackgroundAnalysisRunStatus: Opt(AnalysisRunRefSchema),
    }),
  ),
  blueGreen: Opt(
    Type.Object({
      activeSelector: Opt(Type.String()),
      previewSelector: Opt(Type.String()),
      scaleUpPreviewCheckPoint: Opt(Type.Boolean()),
      prePromotionAnalysisRunStatus: Opt(AnalysisRunRefSchema),
      postPromotionAnalysisRunStatus: Opt(AnalysisRunRefSchema),
    }),
  ),
});

export type RolloutSpec = Static<typeof RolloutSpecSchema>;
export type RolloutStatus = Static<typeof RolloutStatusSchema>;
export type CanaryStep = Static<typeof CanaryStepSchema>;
export type CanaryStrategy = Static<typeof CanaryStrategySchema>;
export type BlueGreenStrategy = Static<typeof BlueGreenStrategySchema>;
export type RolloutAnalysis = Static<typeof RolloutAnalysisSchema>;
export type RolloutCondition = Static<typeof RolloutConditionSchema>;

export interface Rollout extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: RolloutSpec;
  status?: RolloutStatus;
}
