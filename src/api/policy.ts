/**
 * The policy resources (sluice.dev/v1alpha1): `ClusterPolicy` (cluster-scoped) and `Policy`
 * (namespaced, applies to its own namespace only), with Kyverno's field names, so a Kyverno
 * validate policy works after changing `apiVersion` alone. The language (patterns, anchors,
 * conditions, `{{ }}` variables) is src/policy's; the schema here is as permissive as Kyverno's:
 * rules and patterns are kept as written (x-kubernetes-preserve-unknown-fields), and a policy
 * that cannot work is refused at creation by Sluice's admission webhook, which compiles it
 * (src/policy/admission) and names the rule and the path of the mistake.
 *
 * ```yaml
 * apiVersion: sluice.dev/v1alpha1
 * kind: ClusterPolicy
 * metadata: { name: require-team-label }
 * spec:
 *   validationFailureAction: Enforce      # or Audit (the default): admit, write PolicyReports
 *   rules:
 *     - name: team-label
 *       match: { any: [{ resources: { kinds: [Pod] } }] }
 *       validate:
 *         message: 'label "team" is required'
 *         pattern: { metadata: { labels: { team: '?*' } } }
 * status:
 *   conditions: [{ type: Ready, status: "True", reason: Succeeded }]
 * ```
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { FreeForm, StringEnum } from './schema.ts';

const Opt = Type.Optional;

export const CLUSTER_POLICY_KIND = 'ClusterPolicy';
export const POLICY_KIND = 'Policy';
export const POLICY_API_VERSION = 'sluice.dev/v1alpha1';

export const PolicySpecSchema = Type.Object(
  {
    validationFailureAction: Opt(
      Type.String({
        description:
          'Enforce (deny at admission, stop GitOps syncs) or Audit (admit, report); default Audit. A rule may set validate.failureAction',
      }),
    ),
    validationFailureActionOverrides: Opt(
      Type.Array(
        Type.Object({
          action: Type.String({ description: 'Enforce or Audit' }),
          namespaces: Opt(Type.Array(Type.String())),
        }),
        { description: 'a different action in some namespaces' },
      ),
    ),
    background: Opt(
      Type.Boolean({ description: 'Kyverno: scan existing resources; kept, not used by Sluice' }),
    ),
    rules: Type.Array(
      FreeForm(
        'a rule: name, match, exclude, preconditions, context and validate (pattern, anyPattern, deny or foreach); mutate, generate and verifyImages are reported as unsupported',
      ),
      { description: 'the rules, checked in order' },
    ),
  },
  {
    // Kyverno's other settings (failurePolicy, webhookTimeoutSeconds, admission, ...) are kept.
    'x-kubernetes-preserve-unknown-fields': true,
  },
);

export const POLICY_CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

export const PolicyConditionSchema = Type.Object({
  type: Type.String({ description: 'Ready' }),
  status: StringEnum(POLICY_CONDITION_STATUSES),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
  observedGeneration: Opt(Type.Integer()),
});

export const PolicyStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(PolicyConditionSchema)),
  rulecount: Opt(
    Type.Object(
      {
        validate: Opt(Type.Integer()),
        unsupported: Opt(Type.Integer()),
      },
      { description: 'rules the engine checks, and rules it reports as skipped (unsupported)' },
    ),
  ),
});

export type PolicyStatus = Static<typeof PolicyStatusSchema>;
export type PolicyCondition = Static<typeof PolicyConditionSchema>;

/** A ClusterPolicy or Policy as read from the cluster. */
export interface PolicyResource extends KubeObject {
  metadata: ObjectMeta;
  spec: Static<typeof PolicySpecSchema>;
  status?: PolicyStatus;
}
