/**
 * The Application resource (sluice.dev/v1alpha1): "this path of this Git repo, rendered with
 * plain YAML, Kustomize or Helm, must run in that cluster and namespace". Field names follow
 * Argo CD's Application so manifests and habits carry over.
 *
 * The schemas below are the single source of truth: the TypeScript types are derived from them
 * and `npm run gen:crds` writes deploy/crds/applications.sluice.dev.yaml from them.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { CountMap, StringEnum, StringMap } from './schema.ts';

export const GROUP = 'sluice.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Application';

const Opt = Type.Optional;

export const HelmSourceSchema = Type.Object(
  {
    valueFiles: Opt(
      Type.Array(Type.String(), { description: 'values files, relative to the chart directory' }),
    ),
    values: Opt(
      Type.String({ description: 'inline values.yaml content, applied after valueFiles' }),
    ),
    parameters: Opt(
      Type.Array(
        Type.Object({
          name: Type.String(),
          value: Type.String(),
          forceString: Opt(Type.Boolean()),
        }),
        { description: 'like `helm template --set name=value`' },
      ),
    ),
    releaseName: Opt(Type.String({ description: 'defaults to the Application name' })),
    skipCrds: Opt(Type.Boolean()),
  },
  { description: 'render a Helm chart that lives in the repository' },
);

export const KustomizeSourceSchema = Type.Object(
  {
    images: Opt(
      Type.Array(Type.String(), {
        description:
          'image overrides, as in `kustomize edit set image`: `name=newName:tag`, `name:tag` or `name@digest`',
      }),
    ),
    namePrefix: Opt(Type.String()),
    nameSuffix: Opt(Type.String()),
    commonLabels: Opt(StringMap()),
    commonAnnotations: Opt(StringMap()),
  },
  { description: 'render with `kustomize build`' },
);

export const DirectorySourceSchema = Type.Object(
  {
    recurse: Opt(Type.Boolean({ description: 'include subdirectories' })),
    include: Opt(
      Type.String({ description: 'glob of files to include, e.g. `*.yaml` or `{a.yaml,b.json}`' }),
    ),
    exclude: Opt(Type.String({ description: 'glob of files to leave out' })),
  },
  { description: 'plain YAML and JSON manifests' },
);

export const RenderLimitsSchema = Type.Object(
  {
    maxObjects: Opt(
      Type.Integer({ minimum: 1, description: 'objects one render may produce; default 25000' }),
    ),
    maxBytes: Opt(
      Type.Integer({
        minimum: 1,
        description:
          'bytes of the rendered output, YAML aliases expanded, measured as JSON; default 16777216 (16 MiB)',
      }),
    ),
    maxAliases: Opt(
      Type.Integer({
        minimum: 0,
        description: 'YAML aliases one render may expand, nested ones included; default 10000',
      }),
    ),
  },
  {
    description:
      'limits on what rendering this app may produce (a limit hit fails the render with RenderFailed); raise them only for an app known to be this large',
  },
);

export const SourceVerifySchema = Type.Object(
  {
    mode: Opt(
      StringEnum(
        ['HEAD', 'Tag', 'TagAndHEAD'] as const,
        "HEAD (default): the commit the revision resolves to must be signed; Tag: the annotated tag targetRevision names must be signed; TagAndHEAD: both (Flux's modes)",
      ),
    ),
    secretRef: Type.Object(
      {
        name: Type.String({
          description:
            "Secret in the Application's namespace with the trusted keys: *.asc armored PGP public keys, *.pub ssh public keys (principal: the key's name without .pub), allowed_signers in ssh's format",
        }),
      },
      { description: 'the trusted signers' },
    ),
  },
  {
    description:
      "signed commits and tags: a revision not signed by a key of the Secret is refused (Ready=False, UnverifiedCommit or UnverifiedTag) and nothing of it applied; checked with git and gpg/ssh-keygen, as Flux's GitRepository spec.verify",
  },
);

export const ApplicationSourceSchema = Type.Object({
  repoURL: Type.String({
    description: 'Git repository: https://, ssh (git@host:org/repo.git, ssh://) or file://',
  }),
  targetRevision: Opt(
    Type.String({ description: 'branch, tag, or full or short commit SHA; default HEAD' }),
  ),
  path: Opt(Type.String({ description: 'directory inside the repository; default the root' })),
  helm: Opt(HelmSourceSchema),
  kustomize: Opt(KustomizeSourceSchema),
  directory: Opt(DirectorySourceSchema),
  limits: Opt(RenderLimitsSchema),
  verify: Opt(SourceVerifySchema),
});

export const SyncPolicySchema = Type.Object({
  automated: Opt(
    Type.Object({
      prune: Opt(Type.Boolean({ description: 'delete resources that left Git' })),
      selfHeal: Opt(Type.Boolean({ description: 'revert changes made in the cluster' })),
      enabled: Opt(
        Type.Boolean({
          description: 'false pauses automated sync (set by rollback); default true',
        }),
      ),
    }),
  ),
  syncOptions: Opt(
    Type.Array(Type.String(), { description: 'CreateNamespace=true, PruneLast=true, ...' }),
  ),
  retry: Opt(
    Type.Object({
      limit: Opt(
        Type.Integer({ description: 'retries after a failed sync; default 5, -1 forever' }),
      ),
      backoff: Opt(
        Type.Object({
          duration: Opt(Type.String({ description: 'first wait, e.g. 5s' })),
          factor: Opt(Type.Number()),
          maxDuration: Opt(Type.String({ description: 'longest wait, e.g. 3m' })),
        }),
      ),
    }),
  ),
});

export const IgnoreDifferenceSchema = Type.Object({
  group: Opt(Type.String()),
  kind: Type.String(),
  name: Opt(Type.String()),
  namespace: Opt(Type.String()),
  jsonPointers: Opt(Type.Array(Type.String())),
  managedFieldsManagers: Opt(Type.Array(Type.String())),
});

export const DestinationSchema = Type.Object({
  server: Opt(
    Type.String({
      description: 'API server URL; https://kubernetes.default.svc is the local cluster',
    }),
  ),
  name: Opt(
    Type.String({
      description: 'cluster name (a Secret labelled sluice.dev/secret-type=cluster)',
    }),
  ),
  namespace: Opt(
    Type.String({ description: 'namespace for namespaced objects that do not set one' }),
  ),
  serviceAccountName: Opt(
    Type.String({
      description:
        "ServiceAccount of the destination namespace the app's objects are applied and pruned as (the controller impersonates it), so its RBAC limits what the app may touch; default the controller's own identity",
    }),
  ),
});

/**
 * Signed images (src/images/verify): Kyverno's verifyImages rule, its key-based part. Every
 * image of the revision that an `imageReferences` pattern matches must carry a cosign signature
 * (legacy `sha256-<digest>.sig` tag) from the attestors' keys, or nothing of the revision is
 * applied.
 */
export const VerifyImagesSchema = Type.Object({
  imageReferences: Type.Array(Type.String(), {
    minItems: 1,
    description:
      'image patterns this rule applies to (`*` any characters, `?` one), matched against the image as written and with its registry made explicit (docker.io/library/...)',
  }),
  attestors: Type.Array(
    Type.Object({
      count: Opt(
        Type.Integer({
          minimum: 1,
          description: 'how many entries must verify; default all of them',
        }),
      ),
      entries: Type.Array(
        Type.Object({
          keys: Type.Object({
            publicKeys: Opt(
              Type.String({
                description:
                  'PEM public keys (cosign.pub); several PEM blocks count as several entries',
              }),
            ),
            secret: Opt(
              Type.Object(
                {
                  name: Type.String(),
                  key: Opt(Type.String({ description: 'data key; default cosign.pub' })),
                },
                { description: "a Secret in the Application's namespace holding PEM public keys" },
              ),
            ),
          }),
        }),
        { minItems: 1 },
      ),
    }),
    { minItems: 1, description: 'every attestor set must be satisfied' },
  ),
  imageRegistryCredentials: Opt(
    Type.Object({
      secrets: Type.Array(Type.String(), {
        description:
          "docker-registry Secrets in the Application's namespace used to read the images and signatures",
      }),
    }),
  ),
  insecure: Opt(
    Type.Boolean({
      description: 'reach these registries over plain http (loopback registries always are)',
    }),
  ),
});

export const ApplicationSpecSchema = Type.Object({
  project: Opt(Type.String()),
  source: ApplicationSourceSchema,
  destination: DestinationSchema,
  syncPolicy: Opt(SyncPolicySchema),
  ignoreDifferences: Opt(Type.Array(IgnoreDifferenceSchema)),
  dependsOn: Opt(
    Type.Array(Type.Object({ name: Type.String(), namespace: Opt(Type.String()) }), {
      description: 'Applications that must be Synced and Healthy first',
    }),
  ),
  revisionHistoryLimit: Opt(
    Type.Integer({ minimum: 1, description: 'history entries kept; default 10' }),
  ),
  verifyImages: Opt(
    Type.Array(VerifyImagesSchema, {
      description:
        'images that must carry a cosign signature from trusted keys before a revision is applied',
    }),
  ),
});

export const SYNC_STATUSES = ['Synced', 'OutOfSync', 'Unknown'] as const;
export const HEALTH_STATUSES = [
  'Healthy',
  'Progressing',
  'Degraded',
  'Suspended',
  'Missing',
  'Unknown',
] as const;
export const OPERATION_PHASES = ['Running', 'Succeeded', 'Failed', 'Error', 'Terminating'] as const;
export const RESULT_ACTIONS = [
  'created',
  'configured',
  'unchanged',
  'pruned',
  'failed',
  'skipped',
  'pruneSkipped',
] as const;
export const HOOK_TYPES = ['PreSync', 'Sync', 'PostSync', 'SyncFail'] as const;
/** Why one object failed, as data (the message says it for people). */
export const RESULT_REASONS = [
  'DryRunFailed',
  'ApplyFailed',
  'PruneFailed',
  'ClaimedByAnotherApp',
  'ClusterUnreachable',
  'Forbidden',
  'HookFailed',
] as const;

const ResourceRefFields = {
  group: Type.String(),
  version: Type.String(),
  kind: Type.String(),
  namespace: Opt(Type.String()),
  name: Type.String(),
};

export const ResourceStatusSchema = Type.Object({
  ...ResourceRefFields,
  status: Opt(StringEnum(SYNC_STATUSES)),
  health: Opt(Type.Object({ status: StringEnum(HEALTH_STATUSES), message: Opt(Type.String()) })),
  hook: Opt(StringEnum(HOOK_TYPES)),
  hookPhase: Opt(Type.String()),
  requiresPruning: Opt(Type.Boolean()),
});

export const ResourceResultSchema = Type.Object({
  ...ResourceRefFields,
  action: StringEnum(RESULT_ACTIONS),
  message: Opt(Type.String()),
  reason: Opt(StringEnum(RESULT_REASONS)),
  hook: Opt(StringEnum(HOOK_TYPES)),
  hookPhase: Opt(Type.String()),
  syncWave: Opt(Type.Integer()),
});

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
  observedGeneration: Opt(Type.Integer()),
});

export const HistoryEntrySchema = Type.Object({
  id: Type.Integer(),
  revision: Type.String(),
  deployedAt: Type.String(),
  initiatedBy: Type.String({ description: 'automated, or the user/CLI that asked' }),
  source: Opt(ApplicationSourceSchema),
});

export const SYNC_STAGES = [
  'PreSync',
  'Sync',
  'Prune',
  'PostSync',
  'PruneLast',
  'SyncFail',
  'Done',
] as const;
export const HOOK_PHASES = ['Running', 'Succeeded', 'Failed'] as const;

export const HookRecordSchema = Type.Object({
  type: StringEnum(HOOK_TYPES),
  /** the desired object's key (group/kind/namespace/name as rendered) */
  key: Type.String(),
  kind: Type.String(),
  apiVersion: Type.String(),
  namespace: Opt(Type.String()),
  /** the name it got (generateName hooks get one from the server) */
  name: Type.String(),
  uid: Opt(Type.String()),
  phase: StringEnum(HOOK_PHASES),
  message: Opt(Type.String()),
});

export const SyncProgressSchema = Type.Object(
  {
    stage: StringEnum(SYNC_STAGES),
    /** the wave being worked in this stage */
    wave: Type.Integer(),
    /** Sync stage: how far this wave's objects are applied */
    applied: Opt(StringEnum(['none', 'stage0', 'all'] as const)),
    /** when the current wait began (for the wait timeout) */
    waitingSince: Opt(Type.String()),
    prune: Type.Boolean(),
    manual: Type.Boolean(),
    /** what failed (the SyncFail stage runs, then the operation ends Failed with this) */
    failure: Opt(Type.String()),
    hooks: Opt(Type.Array(HookRecordSchema)),
  },
  { description: 'where a running sync is; a restarted controller resumes here' },
);

export const SyncResultSchema = Type.Object({
  revision: Type.String(),
  resources: Type.Array(ResourceResultSchema, {
    description:
      'per-object results, at most 500 (hooks, failures and changes first); `counts` has them all',
  }),
  counts: Opt(CountMap<ResultAction>('results by action (created, unchanged, failed, ...)')),
  total: Opt(Type.Integer({ description: 'objects with a result' })),
  truncated: Opt(Type.Boolean({ description: 'true when `resources` lists only some of them' })),
});

export const OperationStateSchema = Type.Object({
  phase: StringEnum(OPERATION_PHASES),
  message: Opt(Type.String()),
  startedAt: Type.String(),
  finishedAt: Opt(Type.String()),
  initiatedBy: Opt(Type.String()),
  retryCount: Opt(Type.Integer()),
  progress: Opt(SyncProgressSchema),
  syncResult: Opt(SyncResultSchema),
});

export const InventoryEntrySchema = Type.Object({ ...ResourceRefFields });

export const INVENTORY_FORMATS = ['v1'] as const;

export const CompactInventorySchema = Type.Object(
  {
    format: StringEnum(INVENTORY_FORMATS),
    count: Type.Integer({ description: 'objects listed' }),
    data: Type.String({
      description:
        'v1: base64 of the gzip of the JSON [[group, version, kind, namespace, [name, ...]], ...] ' +
        '(sorted; namespace "" for cluster-scoped); read it with `base64 -d | gunzip`',
    }),
  },
  { description: 'every object the app applied, exact and complete, for pruning' },
);

export const ResourceSummarySchema = Type.Object(
  {
    total: Type.Integer({ description: 'objects the app manages (prune candidates included)' }),
    truncated: Opt(Type.Boolean({ description: 'true when `resources` lists only some' })),
    sync: Opt(CountMap<SyncStatus>('objects by sync status')),
    health: Opt(CountMap<HealthStatus>('objects by health')),
    images: Opt(
      Type.Array(Type.String(), {
        description:
          'the container images of the pod templates at the compared revision (sorted, at most 100)',
      }),
    ),
  },
  { description: 'counts over every object, whether or not `resources` lists it' },
);

export const ApplicationStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  sync: Opt(
    Type.Object({
      status: StringEnum(SYNC_STATUSES),
      revision: Opt(Type.String()),
      comparedTo: Opt(
        Type.Object({
          source: ApplicationSourceSchema,
          destination: Opt(
            Type.Object(
              {
                name: Opt(Type.String()),
                server: Opt(Type.String()),
                namespace: Opt(Type.String()),
              },
              { description: 'the cluster compared with (and its inventory is on), resolved' },
            ),
          ),
        }),
      ),
    }),
  ),
  health: Opt(Type.Object({ status: StringEnum(HEALTH_STATUSES), message: Opt(Type.String()) })),
  conditions: Opt(Type.Array(ConditionSchema)),
  resources: Opt(
    Type.Array(ResourceStatusSchema, {
      description:
        'per-object status, at most 500 (out of sync, unhealthy and hooks first); see `summary`',
    }),
  ),
  summary: Opt(ResourceSummarySchema),
  compactInventory: Opt(CompactInventorySchema),
  inventory: Opt(
    Type.Array(InventoryEntrySchema, {
      description: 'deprecated (the format before compactInventory): read, then replaced',
    }),
  ),
  operationState: Opt(OperationStateSchema),
  deletion: Opt(
    Type.Object(
      {
        total: Type.Integer({ description: 'objects the cascade deletes' }),
        remaining: Type.Integer({
          description: 'not deleted yet: a delete not sent yet, or the object still finalizing',
        }),
      },
      { description: 'while an app is deleted with its resources: how far the cascade is' },
    ),
  ),
  history: Opt(Type.Array(HistoryEntrySchema)),
  reconciledAt: Opt(Type.String()),
});

/** A manual sync or rollback asked for by the CLI (like Argo CD's `operation` field). */
export const OperationSchema = Type.Object({
  sync: Opt(
    Type.Object({
      revision: Opt(Type.String({ description: 'commit to sync to; default the target revision' })),
      prune: Opt(Type.Boolean()),
      historyId: Opt(Type.Integer({ description: 'rollback: re-apply this history entry' })),
      resources: Opt(
        Type.Array(
          Type.Object({
            group: Type.String({ description: 'API group; empty for core kinds' }),
            kind: Type.String(),
            name: Type.String(),
            namespace: Opt(Type.String()),
          }),
          {
            description:
              'sync only these objects (argocd `--resource GROUP:KIND:NAME`); default: all of them',
          },
        ),
      ),
    }),
  ),
  initiatedBy: Opt(Type.Object({ username: Opt(Type.String()), automated: Opt(Type.Boolean()) })),
  requestedAt: Opt(Type.String()),
});

export type HelmSource = Static<typeof HelmSourceSchema>;
export type KustomizeSource = Static<typeof KustomizeSourceSchema>;
export type DirectorySource = Static<typeof DirectorySourceSchema>;
export type ApplicationSource = Static<typeof ApplicationSourceSchema>;
export type SourceVerify = Static<typeof SourceVerifySchema>;
export type RenderLimitsSpec = Static<typeof RenderLimitsSchema>;
export type SyncPolicy = Static<typeof SyncPolicySchema>;
export type IgnoreDifference = Static<typeof IgnoreDifferenceSchema>;
export type ApplicationSpec = Static<typeof ApplicationSpecSchema>;
export type VerifyImagesRule = Static<typeof VerifyImagesSchema>;
export type ApplicationDestination = Static<typeof DestinationSchema>;
export type ApplicationStatus = Static<typeof ApplicationStatusSchema>;
export type ResourceStatus = Static<typeof ResourceStatusSchema>;
export type ResourceResult = Static<typeof ResourceResultSchema>;
export type HistoryEntry = Static<typeof HistoryEntrySchema>;
export type OperationState = Static<typeof OperationStateSchema>;
export type Operation = Static<typeof OperationSchema>;
export type InventoryEntry = Static<typeof InventoryEntrySchema>;
export type CompactInventory = Static<typeof CompactInventorySchema>;
export type ResourceSummary = Static<typeof ResourceSummarySchema>;
export type SyncResult = Static<typeof SyncResultSchema>;
export type SyncProgress = Static<typeof SyncProgressSchema>;
export type HookRecord = Static<typeof HookRecordSchema>;
export type SyncStage = (typeof SYNC_STAGES)[number];
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export type ResultAction = (typeof RESULT_ACTIONS)[number];
export type HookType = (typeof HOOK_TYPES)[number];
export type ResultReason = (typeof RESULT_REASONS)[number];
export type AppCondition = Static<typeof ConditionSchema>;

export interface Application extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: ApplicationSpec;
  operation?: Operation;
  status?: ApplicationStatus;
}
