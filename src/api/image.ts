/**
 * Image update automation (sluice.dev/v1alpha1) with Flux's field names, so a team's
 * ImageRepository, ImagePolicy and ImageUpdateAutomation manifests move over by changing
 * `apiVersion` alone:
 *
 * - ImageRepository: a registry repository scanned every `interval` (OCI distribution API,
 *   https with credentials from a docker-registry Secret, `insecure` for plain http).
 * - ImagePolicy: the image selected among its tags (semver range, alphabetical or numerical
 *   order after `filterTags`, or — Sluice's addition, after Argo CD Image Updater's
 *   `newest-build` — the newest by the build time in the image config).
 * - ImageUpdateAutomation: the selected images committed to Git through setter markers.
 * - GitRepository: where an automation writes (Flux's source fields: url, ref, secretRef); an
 *   automation may also name an Application, whose source it then writes to.
 *
 * Fields Flux has and Sluice does not act on (provider, certSecretRef, proxySecretRef,
 * serviceAccountName, signingKey, push.refspec) are kept by the API server; a resource that
 * relies on one says so in its Ready condition.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { FreeForm, StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const IMAGE_REPOSITORY_KIND = 'ImageRepository';
export const IMAGE_POLICY_KIND = 'ImagePolicy';
export const IMAGE_UPDATE_AUTOMATION_KIND = 'ImageUpdateAutomation';
export const GIT_REPOSITORY_KIND = 'GitRepository';

/** Asks for a reconcile now: any new value (Flux's `reconcile.fluxcd.io/requestedAt` is honoured too). */
export const REQUESTED_AT_ANNOTATION = 'sluice.dev/requestedAt';
export const FLUX_REQUESTED_AT_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

const Duration = (description: string) =>
  Type.String({ description: `${description}; a Go duration: 30s, 5m, 1h` });

export const LocalRefSchema = Type.Object({ name: Type.String() });
export const NamespacedRefSchema = Type.Object({
  name: Type.String(),
  namespace: Opt(Type.String({ description: "default: the referring object's namespace" })),
});

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
  observedGeneration: Opt(Type.Integer()),
});

// --- ImageRepository -----------------------------------------------------------------------

export const ImageRepositorySpecSchema = Type.Object({
  image: Type.String({
    description: 'the repository, without tag: localhost:5000/web, ghcr.io/org/app',
  }),
  interval: Duration('how often to scan'),
  timeout: Opt(Duration('the time limit of one scan (default: the interval, at most 1m)')),
  secretRef: Opt(
    Type.Object(
      { name: Type.String() },
      { description: 'a kubernetes.io/dockerconfigjson Secret, or one with username and password' },
    ),
  ),
  insecure: Opt(Type.Boolean({ description: 'plain http (localhost and 127.x always are)' })),
  exclusionList: Opt(
    Type.Array(Type.String(), {
      description: 'regular expressions of tags to leave out; default ^.*\\.sig$',
    }),
  ),
  suspend: Opt(Type.Boolean()),
  accessFrom: Opt(FreeForm('namespaceSelectors of ImagePolicies allowed from other namespaces')),
  provider: Opt(Type.String({ description: 'generic (the only one Sluice supports)' })),
  certSecretRef: Opt(LocalRefSchema),
  proxySecretRef: Opt(LocalRefSchema),
  serviceAccountName: Opt(Type.String()),
});

export const ScanResultSchema = Type.Object({
  tagCount: Type.Integer(),
  scanTime: Opt(Type.String()),
  latestTags: Opt(Type.Array(Type.String())),
  revision: Opt(Type.String({ description: 'a hash of the tag list: changes when the tags do' })),
});

export const ImageRepositoryStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  canonicalImageName: Opt(Type.String()),
  lastScanResult: Opt(ScanResultSchema),
  observedExclusionList: Opt(Type.Array(Type.String())),
  lastHandledReconcileAt: Opt(Type.String()),
});

// --- ImagePolicy ---------------------------------------------------------------------------

const Order = StringEnum(['asc', 'desc'] as const, 'asc (default) selects the last tag');

export const ImagePolicyChoiceSchema = Type.Object({
  semver: Opt(
    Type.Object({
      range: Type.String({ description: "a semver range: '>=1.0.0 <2', '1.2.x', '^1.4'" }),
    }),
  ),
  alphabetical: Opt(Type.Object({ order: Opt(Order) })),
  numerical: Opt(Type.Object({ order: Opt(Order) })),
  newestBuild: Opt(
    Type.Object(
      {},
      {
        description: "Sluice: the tag whose image was built last (the image config's created time)",
      },
    ),
  ),
});

export const ImageRefSchema = Type.Object({
  image: Type.String(),
  tag: Type.String(),
  digest: Opt(Type.String()),
});

export const ImagePolicySpecSchema = Type.Object({
  imageRepositoryRef: NamespacedRefSchema,
  policy: ImagePolicyChoiceSchema,
  filterTags: Opt(
    Type.Object({
      pattern: Opt(Type.String({ description: 'a regular expression the tags must match' })),
      extract: Opt(
        Type.String({ description: 'what the policy compares: $name or ${name} of a named group' }),
      ),
    }),
  ),
  digestReflectionPolicy: Opt(
    StringEnum(['Never', 'IfNotPresent', 'Always'] as const, 'default Never'),
  ),
  interval: Opt(Duration('with digestReflectionPolicy Always: how often to read the digest again')),
});

export const ImagePolicyStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  latestRef: Opt(ImageRefSchema),
  observedPreviousRef: Opt(ImageRefSchema),
  latestImage: Opt(
    Type.String({
      description: 'image:tag (kept for older tooling; latestRef is the whole of it)',
    }),
  ),
  lastHandledReconcileAt: Opt(Type.String()),
});

// --- ImageUpdateAutomation -----------------------------------------------------------------

export const GitRefSchema = Type.Object({
  branch: Opt(Type.String()),
  tag: Opt(Type.String()),
  semver: Opt(Type.String()),
  name: Opt(Type.String()),
  commit: Opt(Type.String()),
});

export const ImageUpdateAutomationSpecSchema = Type.Object({
  sourceRef: Type.Object({
    kind: Opt(StringEnum(['GitRepository', 'Application'] as const, 'default GitRepository')),
    name: Type.String(),
    namespace: Opt(Type.String()),
    apiVersion: Opt(Type.String()),
  }),
  git: Type.Object({
    checkout: Opt(Type.Object({ ref: GitRefSchema })),
    commit: Type.Object({
      author: Type.Object({ name: Opt(Type.String()), email: Type.String() }),
      messageTemplate: Opt(
        Type.String({ description: 'Go template syntax; see `sluice image update --help`' }),
      ),
      messageTemplateValues: Opt(StringMap('.Values in the template')),
      signingKey: Opt(FreeForm('not supported by Sluice: commits are not signed')),
    }),
    push: Opt(
      Type.Object({
        branch: Opt(Type.String()),
        refspec: Opt(Type.String({ description: 'not supported by Sluice' })),
        options: Opt(StringMap('git push options')),
      }),
    ),
  }),
  interval: Duration('how often to run'),
  update: Opt(
    Type.Object({
      path: Opt(
        Type.String({
          description: 'the directory (or file) whose YAML files are updated; default the root',
        }),
      ),
      strategy: Opt(StringEnum(['Setters'] as const)),
    }),
  ),
  policySelector: Opt(
    FreeForm('a label selector (matchLabels, matchExpressions) of the ImagePolicies'),
  ),
  suspend: Opt(Type.Boolean()),
});

export const ImageUpdateAutomationStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  lastAutomationRunTime: Opt(Type.String()),
  lastPushCommit: Opt(Type.String()),
  lastPushTime: Opt(Type.String()),
  observedPolicies: Opt(
    Type.Unsafe<Record<string, { name: string; tag: string; digest?: string }>>({
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          tag: { type: 'string' },
          digest: { type: 'string' },
        },
      },
    }),
  ),
  observedSourceRevision: Opt(Type.String({ description: 'branch@sha1:<commit>' })),
  lastHandledReconcileAt: Opt(Type.String()),
});

// --- GitRepository (what an automation writes to) ------------------------------------------

export const GitRepositorySpecSchema = Type.Object({
  url: Type.String(),
  ref: Opt(GitRefSchema),
  secretRef: Opt(
    Type.Object(
      { name: Type.String() },
      { description: 'username + password, bearerToken, or identity (an ssh private key)' },
    ),
  ),
  interval: Opt(
    Duration('kept for Flux manifests; Sluice reads the repository when an automation runs'),
  ),
  timeout: Opt(Duration('the time limit of one git command')),
  suspend: Opt(Type.Boolean()),
});

export type Condition = Static<typeof ConditionSchema>;
export type ImageRepositorySpec = Static<typeof ImageRepositorySpecSchema>;
export type ImageRepositoryStatus = Static<typeof ImageRepositoryStatusSchema>;
export type ScanResult = Static<typeof ScanResultSchema>;
export type ImagePolicySpec = Static<typeof ImagePolicySpecSchema>;
export type ImagePolicyChoice = Static<typeof ImagePolicyChoiceSchema>;
export type ImagePolicyStatus = Static<typeof ImagePolicyStatusSchema>;
export type ImageRef = Static<typeof ImageRefSchema>;
export type ImageUpdateAutomationSpec = Static<typeof ImageUpdateAutomationSpecSchema>;
export type ImageUpdateAutomationStatus = Static<typeof ImageUpdateAutomationStatusSchema>;
export type GitRef = Static<typeof GitRefSchema>;
export type GitRepositorySpec = Static<typeof GitRepositorySpecSchema>;

export interface ImageRepository extends KubeObject {
  metadata: ObjectMeta;
  spec: ImageRepositorySpec;
  status?: ImageRepositoryStatus;
}

export interface ImagePolicy extends KubeObject {
  metadata: ObjectMeta;
  spec: ImagePolicySpec;
  status?: ImagePolicyStatus;
}

export interface ImageUpdateAutomation extends KubeObject {
  metadata: ObjectMeta;
  spec: ImageUpdateAutomationSpec;
  status?: ImageUpdateAutomationStatus;
}

export interface GitRepository extends KubeObject {
  metadata: ObjectMeta;
  spec: GitRepositorySpec;
}
