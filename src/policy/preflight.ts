/**
 * The policy gate of GitOps syncs (a RevisionGate, src/gitops/gates.ts): after preflight, every
 * object of the revision (hooks included) is evaluated against the Enforce policies, as
 * admission would evaluate it on CREATE; one violation and nothing of the revision is applied.
 * The app's Ready=False condition (reason `PolicyViolation`) names the policy, the rule, the
 * object and the policy's message. A policy object in the revision that does not compile is a
 * violation too (admission would refuse it at creation). Objects in the namespaces the user
 * exempts from admission are not checked; the webhook's built-in exemptions (kube-system, the
 * controller's own namespace) are, since they only keep the cluster restartable.
 *
 * @example
 * const gate = policyGate(() => controller.policies());
 * new GitOpsController({ ..., gates: [gate] });
 */
import type { DesiredResource } from '../gitops/preflight.ts';
import { GateError, type RevisionGate } from '../gitops/gates.ts';
import { errorMessage } from '../errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { compilePolicy, isPolicyObject, type CompiledPolicy } from './compile.ts';
import { blocks, evaluate } from './evaluate.ts';

/** One refusal: which policy and rule, about which object, saying what. */
export interface Violation {
  policy: string;
  rule: string;
  object: string;
  message: string;
}

const describe = (o: KubeObject): string =>
  [o.kind, o.metadata.namespace, o.metadata.name]
    .filter((x) => x !== undefined && x !== '')
    .join('/');

/** The violations of these objects (pure). */
export function violations(
  policies: readonly CompiledPolicy[],
  objects: readonly KubeObject[],
  exemptNamespaces: readonly string[] = [],
): Violation[] {
  const out: Violation[] = [];
  for (const obj of objects) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && exemptNamespaces.includes(ns)) continue;
    if (isPolicyObject(obj)) {
      try {
        compilePolicy(obj);
      } catch (err) {
        out.push({
          policy: describe(obj),
          rule: '-',
          object: describe(obj),
          message: errorMessage(err),
        });
      }
      continue;
    }
    for (const r of evaluate(policies, obj, { operation: 'CREATE' }).filter(blocks)) {
      out.push({
        policy: r.policy,
        rule: r.rule,
        object: describe(obj),
        message: r.path !== undefined ? `${r.message} (at ${r.path})` : r.message,
      });
    }
  }
  return out;
}

export function violationMessage(revision: string, list: readonly Violation[]): string {
  const lines = list
    .slice(0, 10)
    .map((v) =>
      v.rule === '-'
        ? `- ${v.object}: ${v.message}`
        : `- policy ${v.policy}, rule ${v.rule}: ${v.object}: ${v.message}`,
    );
  if (list.length > 10) lines.push(`- ... and ${list.length - 10} more`);
  return `revision ${revision.slice(0, 7)} violates Enforce policies; nothing of it was applied:\n${lines.join('\n')}`;
}

export interface PolicyGateOptions {
  /** Namespaces the admission webhook exempts (kube-system, the controller's own, ...). */
  exemptNamespaces?: readonly string[];
}

/** The gate; `policies` is read at every check, so it sees the current compiled set. */
export function policyGate(
  policies: () => readonly CompiledPolicy[],
  o: PolicyGateOptions = {},
): RevisionGate {
  return {
    name: 'policies',
    afterPreflight({ revision, plan }) {
      const objects = [...plan.resources, ...plan.hooks].map((r: DesiredResource) => r.object);
      const found = violations(policies(), objects, o.exemptNamespaces);
      if (found.length === 0) return Promise.resolve();
      return Promise.reject(
        new GateError('PolicyViolation', violationMessage(revision, found), true, {
          hint: 'fix the objects in Git (or the policy); the next commit is checked again',
        }),
      );
    },
  };
}
