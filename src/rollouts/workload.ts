/**
 * `spec.workloadRef`: a Rollout that takes its pod template (and selector, unless it has one)
 * from an existing Deployment, so a team can put progressive delivery in front of a Deployment
 * without rewriting it. The Deployment is then scaled down as `scaleDown` says, as Argo Rollouts
 * does: `never` (the default: leave it), `onsuccess` (to 0 once the Rollout is Healthy) or
 * `progressively` (by as many pods as the Rollout has available).
 */
import type { Rollout } from '../api/rollout.ts';
import type { Deployment } from './references.ts';

export type Resolved =
  { rollout: Rollout; deployment?: Deployment } | { invalid: string } | { missing: string };

/** The Rollout as the controller runs it: with the Deployment's template when it has a workloadRef. */
export function resolveWorkload(
  ro: Rollout,
  lookup: (namespace: string, name: string) => Deployment | undefined,
): Resolved {
  const ref = ro.spec.workloadRef;
  if (!ref) return { rollout: ro };
  if (ro.spec.template) {
    return { invalid: 'spec has both template and workloadRef: choose one' };
  }
  if (ref.kind !== 'Deployment' || ref.apiVersion !== 'apps/v1') {
    return {
      invalid: `workloadRef ${ref.apiVersion}/${ref.kind} is not supported: refer to an apps/v1 Deployment`,
    };
  }
  const dep = lookup(ro.metadata.namespace, ref.name);
  if (!dep) {
    return {
      missing: `Deployment "${ref.name}" named in spec.workloadRef does not exist in namespace ${ro.metadata.namespace}`,
    };
  }
  if (!dep.spec?.template) return { invalid: `Deployment "${ref.name}" has no pod template` };
  return {
    rollout: {
      ...ro,
      spec: {
        ...ro.spec,
        template: dep.spec.template,
        ...(ro.spec.selector || dep.spec.selector
          ? { selector: ro.spec.selector ?? dep.spec.selector }
          : {}),
      },
    },
    deployment: dep,
  };
}

/**
 * The replicas the referenced Deployment should have now, or undefined to leave it alone.
 * `available` is how many of the Rollout's pods are available; `healthy` whether it is Healthy.
 */
export function deploymentReplicas(
  ro: Rollout,
  dep: Deployment,
  available: number,
  healthy: boolean,
): number | undefined {
  const mode = ro.spec.workloadRef?.scaleDown ?? 'never';
  const current = dep.spec?.replicas ?? 1;
  let want: number | undefined;
  if (mode === 'onsuccess') want = healthy ? 0 : undefined;
  if (mode === 'progressively') want = Math.max(0, (ro.spec.replicas ?? 1) - available);
  // Only ever down: the Deployment is what the Rollout replaces, never what it grows.
  return want !== undefined && want < current ? want : undefined;
}
