/**
 * Promotion (sluice.dev/v1alpha1): one image carried through a line of environments
 * (`dev → staging → prod`) by Git commits. Each environment is a set of Applications and a place
 * in Git; promoting writes the digest the previous environment runs into the next one's
 * manifests, once that environment's gates pass: the previous one Synced and Healthy on the
 * digest for a soak time, its Rollouts' analysis successful, and/or a person's approval.
 *
 * Approvals live in `spec.approvals`, written by `sluice promote approve|reject`. Who may write
 * them is Kubernetes RBAC's answer for the `promotions/approval` subresource, checked by the API
 * server itself (a ValidatingAdmissionPolicy installed with the CRDs, `approvalPolicy()` in
 * crd.ts): updating a Promotion does not let anyone approve, and an approval names the user who
 * made it as the API server authenticated them.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { ConditionSchema } from './application.ts';
import { GitHubDestinationSchema, GitLabDestinationSchema } from './notification.ts';
import { StringEnum } from './schema.ts';

const Opt = Type.Optional;

export const PROMOTION_KIND = 'Promotion';
/** The subresource RBAC grants `update` on to let a person approve or reject. */
export const APPROVAL_SUBRESOURCE = 'approval';

export const GATE_NAMES = ['soak', 'analysis', 'approval'] as const;
export type GateName = (typeof GATE_NAMES)[number];

export const DECISIONS = ['Approved', 'Rejected'] as const;
export type Decision = (typeof DECISIONS)[number];

export const STEP_PHASES = [
  'Waiting', // gates not passed yet
  'Promoting', // the commit is being written
  'Deploying', // written; the environment is not on it yet
  'Promoted', // the environment runs it
  'Rejected', // a person said no
  'Failed', // a gate failed (analysis, unhealthy) or the write failed for good
] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

export const GATE_STATES = ['Pending', 'Passed', 'Failed'] as const;
export type GateState = (typeof GATE_STATES)[number];

export const PullRequestTargetSchema = Type.Object(
  {
    github: Opt(GitHubDestinationSchema),
    gitlab: Opt(GitLabDestinationSchema),
    branchPrefix: Opt(
      Type.String({
        description:
          'the branches pushed: <prefix>/<environment>/<version>; default sluice/promote',
      }),
    ),
  },
  {
    description:
      "promote by pull request: push a branch and ask to merge it into `branch` (exactly one of github, gitlab; the token Secret in the Promotion's namespace); merging it is the promotion",
  },
);

export const GitTargetSchema = Type.Object(
  {
    repoURL: Type.String(),
    branch: Opt(Type.String({ description: 'default main' })),
    path: Type.String({
      description:
        'what to edit: a Kustomization directory or its kustomization.yaml (the `images:` entry), or a Helm values file',
    }),
    kustomize: Opt(
      Type.Object({
        image: Type.String({ description: 'the `images[].name` to set (default spec.image)' }),
      }),
    ),
    helm: Opt(
      Type.Object({
        key: Type.String({ description: 'dotted path of the image value, e.g. image.tag' }),
        digestKey: Opt(Type.String({ description: 'dotted path for the digest, if separate' })),
      }),
    ),
    pullRequest: Opt(PullRequestTargetSchema),
  },
  { description: "where this environment's image is written" },
);

export const GatesSchema = Type.Object({
  soak: Opt(
    Type.String({
      description:
        'the previous environment Synced and Healthy on the digest for this long (Go duration)',
    }),
  ),
  analysis: Opt(
    Type.Boolean({
      description:
        "the previous environment's Rollouts on the digest promoted with analysis passed",
    }),
  ),
  approval: Opt(Type.Boolean({ description: 'a person approves (sluice promote approve ENV)' })),
});

export const EnvironmentSchema = Type.Object({
  name: Type.String({ description: 'dev, staging, prod …' }),
  applications: Type.Array(Type.String(), {
    description: "the Applications (in the Promotion's namespace) that make up this environment",
  }),
  git: Opt(GitTargetSchema),
  gates: Opt(GatesSchema),
});

export const ApprovalSchema = Type.Object({
  environment: Type.String(),
  digest: Type.String({ description: 'what was approved: the digest (or tag) promoted' }),
  decision: StringEnum(DECISIONS),
  user: Type.String({ description: 'who, as the API server authenticated them' }),
  time: Type.String(),
  reason: Opt(Type.String()),
});

export const PromotionSpecSchema = Type.Object({
  image: Type.String({
    description: 'the image repository promoted, without tag or digest: localhost:5000/team/web',
  }),
  environments: Type.Array(EnvironmentSchema, {
    minItems: 2,
    description: 'in order; the first gets its images from CI (or image automation)',
  }),
  approvals: Opt(Type.Array(ApprovalSchema)),
  suspend: Opt(Type.Boolean({ description: 'write nothing while true' })),
});

export const GateStatusSchema = Type.Object({
  name: StringEnum(GATE_NAMES),
  state: StringEnum(GATE_STATES),
  message: Opt(Type.String()),
});

export const EnvironmentStatusSchema = Type.Object({
  name: Type.String(),
  current: Opt(
    Type.Object({
      image: Type.String({ description: 'the full reference the environment runs' }),
      version: Type.String({ description: 'its digest, else its tag' }),
      since: Opt(Type.String({ description: 'Synced and Healthy on it since' })),
    }),
  ),
  candidate: Opt(
    Type.Object({
      image: Type.String(),
      version: Type.String(),
      phase: StringEnum(STEP_PHASES),
      gates: Opt(Type.Array(GateStatusSchema)),
      commit: Opt(Type.String({ description: 'the commit that wrote it' })),
      pullRequest: Opt(
        Type.Object(
          { number: Type.Number(), url: Type.String() },
          { description: 'the pull request asking to merge it, when promoted by one' },
        ),
      ),
      message: Opt(Type.String()),
      since: Opt(Type.String({ description: 'in this phase since' })),
    }),
  ),
});

export const PromotionStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  environments: Opt(Type.Array(EnvironmentStatusSchema)),
});

export type GitTarget = Static<typeof GitTargetSchema>;
export type PullRequestTarget = Static<typeof PullRequestTargetSchema>;
export type Gates = Static<typeof GatesSchema>;
export type Environment = Static<typeof EnvironmentSchema>;
export type Approval = Static<typeof ApprovalSchema>;
export type PromotionSpec = Static<typeof PromotionSpecSchema>;
export type GateStatus = Static<typeof GateStatusSchema>;
export type EnvironmentStatus = Static<typeof EnvironmentStatusSchema>;
export type PromotionStatus = Static<typeof PromotionStatusSchema>;

export interface Promotion extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: PromotionSpec;
  status?: PromotionStatus;
}
