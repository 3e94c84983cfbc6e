/**
 * What RBAC refuses a controller, asked before it starts its watches (SelfSubjectAccessReview):
 * a controller that cannot list and watch what it needs says so and stays off, instead of
 * holding up the Manager with watches that can never start.
 */
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

/** `list` and `watch` of each [group, resource] in each namespace (all when none), refused. */
export async function refusedWatches(
  kube: Kube,
  namespaces: readonly string[] | undefined,
  resources: ReadonlyArray<readonly [group: string, resource: string]>,
): Promise<string[]> {
  const refused: string[] = [];
  for (const namespace of namespaces ?? [undefined]) {
    for (const [group, resource] of resources) {
      for (const verb of ['list', 'watch']) {
        const review = await kube.create<KubeObject & { status?: { allowed?: boolean } }>({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          metadata: {},
          spec: {
            resourceAttributes: { group, resource, verb, ...(namespace ? { namespace } : {}) },
          },
        });
        if (!review.status?.allowed) {
          const what = group ? `${resource}.${group}` : resource;
          refused.push(`${verb} ${what} in ${namespace ?? 'all namespaces'}`);
        }
      }
    }
  }
  return refused;
}
