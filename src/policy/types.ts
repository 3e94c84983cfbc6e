/**
 * The policy language's shapes: `ClusterPolicy` / `Policy` with Kyverno's validate field names
 * (read in `sluice.dev/v1alpha1` and `kyverno.io/v1` alike), and the results the engine gives
 * per (policy, rule, resource). Results are data: the CLI, admission and reports render them.
 */
import type { KubeObject } from '../kube/types.ts';

export const POLICY_API_VERSIONS = [
  'sluice.dev/v1alpha1',
  'kyverno.io/v1',
  'kyverno.io/v2beta1',
] as const;
export const POLICY_KINDS = ['ClusterPolicy', 'Policy'] as const;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface ResourceDescription {
  kinds?: string[];
  names?: string[];
  name?: string;
  namespaces?: string[];
  annotations?: Record<string, string>;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  operations?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/** One entry of `match.any` / `match.all` (or the legacy top-level form). */
export interface ResourceFilter {
  resources?: ResourceDescription;
  subjects?: Subject[];
  roles?: string[];
  clusterRoles?: string[];
}

export interface MatchResources extends ResourceFilter {
  any?: ResourceFilter[];
  all?: ResourceFilter[];
}

export interface Condition {
  key: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

/** `preconditions` and `deny.conditions`: the `any`/`all` form, or a bare list (= all). */
export type Conditions = Condition[] | { any?: Condition[]; all?: Condition[] };

export type FailureAction = 'Enforce' | 'Audit';

export interface Validation {
  message?: string;
  failureAction?: string;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: { conditions?: Conditions };
  [other: string]: unknown;
}

export interface Rule {
  name: string;
  match?: MatchResources;
  exclude?: MatchResources;
  preconditions?: Conditions;
  validate?: Validation;
  mutate?: unknown;
  generate?: unknown;
  verifyImages?: unknown;
  [other: string]: unknown;
}

export interface PolicySpec {
  validationFailureAction?: string;
  validationFailureActionOverrides?: Array<{ action: string; namespaces?: string[] }>;
  background?: boolean;
  rules?: Rule[];
  [other: string]: unknown;
}

export interface PolicyObject extends KubeObject {
  spec: PolicySpec;
}

/** Who asks, as an AdmissionReview carries it; absent when evaluating files in CI. */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What is known about the request besides the object (all optional: CI knows little). */
export interface RequestContext {
  operation?: Operation;
  userInfo?: UserInfo;
  /** Roles and ClusterRoles bound to the user, when the caller resolved them. */
  roles?: string[];
  clusterRoles?: string[];
  oldObject?: KubeObject | null;
  /** Labels of the resource's namespace, for `namespaceSelector`; unknown when absent. */
  namespaceLabels?: Record<string, string>;
}

export type ResultStatus = 'pass' | 'fail' | 'skip' | 'error';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface RuleResult {
  /** `name` for a ClusterPolicy, `namespace/name` for a Policy. */
  policy: string;
  rule: string;
  resource: ResourceRef;
  result: ResultStatus;
  /** Enforce blocks on fail, Audit reports. */
  action: FailureAction;
  /** fail: the policy's message with variables substituted; skip/error: the reason. */
  message: string;
  /** fail: where the first mismatch is (JSON-pointer style, `/spec/containers/0/image`). */
  path?: string;
  /** fail: what was found there against what the pattern wants. */
  detail?: string;
  /** Set when a Pod rule was applied to a controller's pod template (Kyverno's autogen). */
  autogen?: boolean;
}
