/**
 * What a ServiceAccount may do according to a set of RBAC objects, the way the API server's RBAC
 * authorizer decides it (rules are additive; `*` matches anything; resourceNames limit a rule to
 * those names). Used to check the chart's RBAC without a cluster; the e2e test asks the real API
 * server the same questions with `kubectl auth can-i`.
 *
 * @example can(objects, sa, { verb: 'delete', resource: 'secrets', namespace: 'kube-system' })
 */
import type { KubeObject } from '../kube/types.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface Access {
  verb: string;
  /** '' for the core group. */
  group?: string;
  /** `deployments`, or `applications/status` for a subresource. */
  resource: string;
  /** Undefined for a cluster-scoped resource (or all namespaces). */
  namespace?: string;
  name?: string;
}

const matches = (list: readonly string[] | undefined, value: string): boolean =>
  (list ?? []).some((v) => v === '*' || v === value);

/** Whether one rule allows `a`. */
export function ruleAllows(rule: PolicyRule, a: Access): boolean {
  if (!matches(rule.verbs, a.verb)) return false;
  if (!matches(rule.apiGroups, a.group ?? '')) return false;
  if (!matches(rule.resources, a.resource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

interface Binding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects?: Subject[];
}

interface Role extends KubeObject {
  rules?: PolicyRule[];
}

function bindsTo(b: Binding, sa: Subject): boolean {
  return (b.subjects ?? []).some(
    (s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace,
  );
}

/** The rules bound to `sa`, each with the namespace it applies in (undefined: every namespace). */
export function rulesOf(
  objects: readonly KubeObject[],
  sa: Subject,
): Array<{ namespace: string | undefined; rule: PolicyRule }> {
  const role = (kind: string, name: string, ns: string | undefined): Role | undefined =>
    objects.find(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (kind === 'ClusterRole' || o.metadata.namespace === ns),
    );
  const out: Array<{ namespace: string | undefined; rule: PolicyRule }> = [];
  for (const o of objects) {
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue;
    const b = o as Binding;
    if (!bindsTo(b, sa)) continue;
    const ns = o.kind === 'RoleBinding' ? o.metadata.namespace : undefined;
    for (const rule of role(b.roleRef.kind, b.roleRef.name, ns)?.rules ?? [])
      out.push({ namespace: ns, rule });
  }
  return out;
}

/** Whether `sa` may do `a` with these RBAC objects. */
export function can(objects: readonly KubeObject[], sa: Subject, a: Access): boolean {
  return rulesOf(objects, sa).some(
    ({ namespace, rule }) =>
      (namespace === undefined || namespace === a.namespace) && ruleAllows(rule, a),
  );
}
