/**
 * The CustomResourceDefinitions Sluice installs, generated from the schemas in this folder.
 * `npm run gen:crds` writes them to deploy/crds/ (and the Helm chart's copy); a unit test fails
 * if either is stale. Each CRD carries a hash of its spec (`sluice.dev/schema-hash`), so a
 * controller can tell an outdated CRD from a current one, however it was installed
 * (`sluice install-crds`, `kubectl apply -f deploy/crds`, the Helm chart).
 */
import { createHash } from 'node:crypto';
import { Type, type TSchema } from 'typebox';
import type { KubeObject } from '../kube/types.ts';
import {
  ApplicationSpecSchema,
  ApplicationStatusSchema,
  GROUP,
  KIND,
  OperationSchema,
  VERSION,
} from './application.ts';
import {
  ANALYSIS_RUN_KIND,
  ANALYSIS_TEMPLATE_KIND,
  AnalysisRunSpecSchema,
  AnalysisRunStatusSchema,
  AnalysisTemplateSpecSchema,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
} from './analysis.ts';
import {
  PIPELINE_KIND,
  PIPELINE_RUN_KIND,
  PipelineRunSpecSchema,
  PipelineRunStatusSchema,
  PipelineSpecSchema,
  TASK_KIND,
  TASK_RUN_KIND,
  TaskRunSpecSchema,
  TaskRunStatusSchema,
  TaskSpecSchema,
} from './pipeline.ts';
import { AppProjectSpecSchema, PROJECT_KIND } from './project.ts';
import { PROMOTION_KIND, PromotionSpecSchema, PromotionStatusSchema } from './promotion.ts';
import {
  NOTIFICATION_KIND,
  NotificationSpecSchema,
  NotificationStatusSchema,
} from './notification.ts';
import {
  GIT_REPOSITORY_KIND,
  GitRepositorySpecSchema,
  IMAGE_POLICY_KIND,
  IMAGE_REPOSITORY_KIND,
  IMAGE_UPDATE_AUTOMATION_KIND,
  ImagePolicySpecSchema,
  ImagePolicyStatusSchema,
  ImageRepositorySpecSchema,
  ImageRepositoryStatusSchema,
  ImageUpdateAutomationSpecSchema,
  ImageUpdateAutomationStatusSchema,
} from './image.ts';
import { ROLLOUT_KIND, RolloutSpecSchema, RolloutStatusSchema } from './rollout.ts';
import {
  SEALED_SECRET_KIND,
  SealedSecretSpecSchema,
  SealedSecretStatusSchema,
} from './sealedsecret.ts';
import {
  CLUSTER_POLICY_KIND,
  POLICY_KIND,
  PolicySpecSchema,
  PolicyStatusSchema,
} from './policy.ts';
import { TRIGGER_KIND, TriggerSpecSchema, TriggerStatusSchema } from './trigger.ts';
import { toOpenAPI } from './schema.ts';

export const APPLICATION_CRD_NAME = `applications.${GROUP}`;

/** The annotation holding the hash of a CRD's spec. */
export const SCHEMA_HASH_ANNOTATION = 'sluice.dev/schema-hash';

/** The CRD with the hash of its spec in the schema-hash annotation. */
export function withSchemaHash(crd: KubeObject): KubeObject {
  const hash = createHash('sha256').update(JSON.stringify(crd.spec)).digest('hex').slice(0, 16);
  return {
    ...crd,
    metadata: {
      ...crd.metadata,
      annotations: { ...crd.metadata.annotations, [SCHEMA_HASH_ANNOTATION]: hash },
    },
  };
}

export function applicationCrd(): KubeObject {
  const schema = toOpenAPI(
    Type.Object({
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(Type.Object({})),
      spec: ApplicationSpecSchema,
      operation: Type.Optional(OperationSchema),
      status: Type.Optional(ApplicationStatusSchema),
    }),
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: APPLICATION_CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'sluice' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        plural: 'applications',
        singular: 'application',
        kind: KIND,
        listKind: `${KIND}List`,
        shortNames: ['app', 'apps'],
        categories: ['sluice'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Sync', type: 'string', jsonPath: '.status.sync.status' },
            { name: 'Health', type: 'string', jsonPath: '.status.health.status' },
            { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

interface CrdSpec {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  spec: TSchema;
  status?: TSchema;
  columns: Array<Record<string, unknown>>;
}

/** A CRD of group sluice.dev/v1alpha1 with a status subresource (when it has a status). */
function crdOf(c: CrdSpec): KubeObject {
  const schema = toOpenAPI(
    Type.Object({
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(Type.Object({})),
      spec: c.spec,
      ...(c.status ? { status: Type.Optional(c.status) } : {}),
    }),
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${c.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'sluice' } },
    spec: {
      group: GROUP,
      scope: c.scope,
      names: {
        plural: c.plural,
        singular: c.kind.toLowerCase(),
        kind: c.kind,
        listKind: `${c.kind}List`,
        shortNames: c.shortNames,
        categories: ['sluice'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(c.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: [
            ...c.columns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

/** Rollout, with Argo Rollouts' short name `ro` and its printer columns. */
export function rolloutCrd(): KubeObject {
  return crdOf({
    kind: ROLLOUT_KIND,
    plural: 'rollouts',
    shortNames: ['ro'],
    scope: 'Namespaced',
    spec: RolloutSpecSchema,
    status: RolloutStatusSchema,
    columns: [
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Current', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Up-to-date', type: 'integer', jsonPath: '.status.updatedReplicas' },
      { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Step', type: 'integer', jsonPath: '.status.currentStepIndex', priority: 1 },
      { name: 'Weight', type: 'integer', jsonPath: '.status.canary.weights.canary.weight' },
    ],
  });
}

export function analysisTemplateCrd(cluster: boolean): KubeObject {
  return crdOf({
    kind: cluster ? CLUSTER_ANALYSIS_TEMPLATE_KIND : ANALYSIS_TEMPLATE_KIND,
    plural: cluster ? 'clusteranalysistemplates' : 'analysistemplates',
    shortNames: cluster ? ['cat'] : ['at'],
    scope: cluster ? 'Cluster' : 'Namespaced',
    spec: AnalysisTemplateSpecSchema,
    columns: [],
  });
}

export function analysisRunCrd(): KubeObject {
  return crdOf({
    kind: ANALYSIS_RUN_KIND,
    plural: 'analysisruns',
    shortNames: ['ar'],
    scope: 'Namespaced',
    spec: AnalysisRunSpecSchema,
    status: AnalysisRunStatusSchema,
    columns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase' },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
    ],
  });
}

const SUCCEEDED = '.status.conditions[?(@.type=="Succeeded")]';
const runColumns = [
  { name: 'Succeeded', type: 'string', jsonPath: `${SUCCEEDED}.status` },
  { name: 'Reason', type: 'string', jsonPath: `${SUCCEEDED}.reason` },
  { name: 'StartTime', type: 'date', jsonPath: '.status.startTime' },
  { name: 'CompletionTime', type: 'date', jsonPath: '.status.completionTime' },
];

/** Task, Pipeline, PipelineRun and TaskRun, with Tekton's short names and columns. */
export function pipelineCrds(): KubeObject[] {
  return [
    crdOf({
      kind: TASK_KIND,
      plural: 'tasks',
      shortNames: [],
      scope: 'Namespaced',
      spec: TaskSpecSchema,
      columns: [],
    }),
    crdOf({
      kind: PIPELINE_KIND,
      plural: 'pipelines',
      shortNames: [],
      scope: 'Namespaced',
      spec: PipelineSpecSchema,
      columns: [],
    }),
    crdOf({
      kind: PIPELINE_RUN_KIND,
      plural: 'pipelineruns',
      shortNames: ['pr', 'prs'],
      scope: 'Namespaced',
      spec: PipelineRunSpecSchema,
      status: PipelineRunStatusSchema,
      columns: runColumns,
    }),
    crdOf({
      kind: TASK_RUN_KIND,
      plural: 'taskruns',
      shortNames: ['tr', 'trs'],
      scope: 'Namespaced',
      spec: TaskRunSpecSchema,
      status: TaskRunStatusSchema,
      columns: runColumns,
    }),
  ];
}

export function promotionCrd(): KubeObject {
  return crdOf({
    kind: PROMOTION_KIND,
    plural: 'promotions',
    shortNames: ['promo'],
    scope: 'Namespaced',
    spec: PromotionSpecSchema,
    status: PromotionStatusSchema,
    columns: [
      { name: 'Image', type: 'string', jsonPath: '.spec.image' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    ],
  });
}

/** Trigger: a push or a polled commit starts a PipelineRun. */
export function triggerCrd(): KubeObject {
  return crdOf({
    kind: TRIGGER_KIND,
    plural: 'triggers',
    shortNames: ['trig'],
    scope: 'Namespaced',
    spec: TriggerSpecSchema,
    status: TriggerStatusSchema,
    columns: [
      { name: 'Repo', type: 'string', jsonPath: '.spec.repoURL' },
      { name: 'Policy', type: 'string', jsonPath: '.spec.concurrencyPolicy', priority: 1 },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
      { name: 'Last-Run', type: 'string', jsonPath: '.status.lastEvent.run' },
    ],
  });
}

const READY = '.status.conditions[?(@.type=="Ready")]';

/** Notification: events to destinations (src/delivery/notifications). */
export function notificationCrd(): KubeObject {
  return crdOf({
    kind: NOTIFICATION_KIND,
    plural: 'notifications',
    shortNames: ['notif'],
    scope: 'Namespaced',
    spec: NotificationSpecSchema,
    status: NotificationStatusSchema,
    columns: [
      { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
      { name: 'Reason', type: 'string', jsonPath: `${READY}.reason` },
      { name: 'Message', type: 'string', jsonPath: `${READY}.message`, priority: 1 },
    ],
  });
}

/** Image update automation, with Flux's short names and columns; and the GitRepository it writes to. */
export function imageCrds(): KubeObject[] {
  return [
    crdOf({
      kind: IMAGE_REPOSITORY_KIND,
      plural: 'imagerepositories',
      shortNames: ['imgrepo', 'imagerepo'],
      scope: 'Namespaced',
      spec: ImageRepositorySpecSchema,
      status: ImageRepositoryStatusSchema,
      columns: [
        { name: 'Last scan', type: 'string', jsonPath: '.status.lastScanResult.scanTime' },
        { name: 'Tags', type: 'integer', jsonPath: '.status.lastScanResult.tagCount' },
        { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
        { name: 'Status', type: 'string', jsonPath: `${READY}.message`, priority: 1 },
      ],
    }),
    crdOf({
      kind: IMAGE_POLICY_KIND,
      plural: 'imagepolicies',
      shortNames: ['imgpol', 'imagepol'],
      scope: 'Namespaced',
      spec: ImagePolicySpecSchema,
      status: ImagePolicyStatusSchema,
      columns: [
        { name: 'Image', type: 'string', jsonPath: '.status.latestRef.image' },
        { name: 'Tag', type: 'string', jsonPath: '.status.latestRef.tag' },
        { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
        { name: 'Status', type: 'string', jsonPath: `${READY}.message` },
      ],
    }),
    crdOf({
      kind: IMAGE_UPDATE_AUTOMATION_KIND,
      plural: 'imageupdateautomations',
      shortNames: ['imgupd', 'imageupd'],
      scope: 'Namespaced',
      spec: ImageUpdateAutomationSpecSchema,
      status: ImageUpdateAutomationStatusSchema,
      columns: [
        { name: 'Last run', type: 'string', jsonPath: '.status.lastAutomationRunTime' },
        { name: 'Last push', type: 'string', jsonPath: '.status.lastPushCommit', priority: 1 },
        { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
        { name: 'Status', type: 'string', jsonPath: `${READY}.message`, priority: 1 },
      ],
    }),
    crdOf({
      kind: GIT_REPOSITORY_KIND,
      plural: 'gitrepositories',
      shortNames: ['gitrepo'],
      scope: 'Namespaced',
      spec: GitRepositorySpecSchema,
      columns: [
        { name: 'URL', type: 'string', jsonPath: '.spec.url' },
        { name: 'Branch', type: 'string', jsonPath: '.spec.ref.branch' },
      ],
    }),
  ];
}

const SYNCED = '.status.conditions[?(@.type=="Synced")]';

/** SealedSecret: Sealed Secrets' fields under sluice.dev (src/sealed). */
export function sealedSecretCrd(): KubeObject {
  return crdOf({
    kind: SEALED_SECRET_KIND,
    plural: 'sealedsecrets',
    shortNames: ['sealed'],
    scope: 'Namespaced',
    spec: SealedSecretSpecSchema,
    status: SealedSecretStatusSchema,
    columns: [
      { name: 'Synced', type: 'string', jsonPath: `${SYNCED}.status` },
      { name: 'Reason', type: 'string', jsonPath: `${SYNCED}.reason` },
      { name: 'Message', type: 'string', jsonPath: `${SYNCED}.message`, priority: 1 },
    ],
  });
}

/** AppProject: Argo CD's project fields (src/gitops/projects); `appproj` as in Argo CD. */
export function projectCrd(): KubeObject {
  return crdOf({
    kind: PROJECT_KIND,
    plural: 'appprojects',
    shortNames: ['appproj', 'appprojs'],
    scope: 'Namespaced',
    spec: AppProjectSpecSchema,
    columns: [{ name: 'Description', type: 'string', jsonPath: '.spec.description' }],
  });
}

/** ClusterPolicy and Policy: Kyverno's validate policies under sluice.dev (src/policy). */
export function policyCrds(): KubeObject[] {
  const columns = [
    { name: 'Action', type: 'string', jsonPath: '.spec.validationFailureAction' },
    { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
    { name: 'Reason', type: 'string', jsonPath: `${READY}.reason`, priority: 1 },
    { name: 'Message', type: 'string', jsonPath: `${READY}.message`, priority: 1 },
  ];
  return [
    crdOf({
      kind: CLUSTER_POLICY_KIND,
      plural: 'clusterpolicies',
      shortNames: ['cpol'],
      scope: 'Cluster',
      spec: PolicySpecSchema,
      status: PolicyStatusSchema,
      columns,
    }),
    crdOf({
      kind: POLICY_KIND,
      plural: 'policies',
      shortNames: ['pol'],
      scope: 'Namespaced',
      spec: PolicySpecSchema,
      status: PolicyStatusSchema,
      columns,
    }),
  ];
}

/** Every CRD of Sluice, each with its schema hash. */
export function allCrds(): KubeObject[] {
  return [
    applicationCrd(),
    rolloutCrd(),
    analysisTemplateCrd(false),
    analysisTemplateCrd(true),
    analysisRunCrd(),
    ...pipelineCrds(),
    promotionCrd(),
    notificationCrd(),
    ...imageCrds(),
    triggerCrd(),
    sealedSecretCrd(),
    projectCrd(),
    ...policyCrds(),
  ].map(withSchemaHash);
}
