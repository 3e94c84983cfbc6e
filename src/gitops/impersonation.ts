/**
 * Who an app's objects are applied and pruned as (Flux's model): with
 * `spec.destination.serviceAccountName`, the controller impersonates that ServiceAccount of the
 * destination namespace for every request about the app's objects — dry-runs, applies, hooks,
 * prunes, the finalizer's cascade — so the ServiceAccount's RBAC limits what the app can touch,
 * and the API server's own "forbidden" answer names it. An app that names none acts as the
 * ServiceAccount its project's `destinationServiceAccounts` gives for its destination (Argo CD's
 * field), else as the controller itself. Reads from the watch cache stay the controller's.
 */
import type { Application } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { destinationNamespace } from './preflight.ts';
import { denyPattern, globMatch } from './projects/glob.ts';
import type { Project } from './projects/rules.ts';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** The Kubernetes user name of a ServiceAccount. */
export const serviceAccountUser = (sa: ServiceAccountRef): string =>
  `system:serviceaccount:${sa.namespace}:${sa.name}`;

const matches = (glob: string | undefined, value: string): boolean =>
  glob !== undefined && denyPattern(glob) === undefined && globMatch(glob, value);

/** `name` (in `namespace`) or `namespace:name`. */
function parseAccount(text: string, namespace: string): ServiceAccountRef {
  const i = text.indexOf(':');
  return i < 0
    ? { namespace, name: text }
    : { namespace: text.slice(0, i), name: text.slice(i + 1) };
}

/** The ServiceAccount the app acts as on its destination, or undefined for the controller. */
export function actingAs(
  app: Application,
  project: Project | undefined,
  cluster: { server: string; name: string },
): ServiceAccountRef | undefined {
  const namespace = destinationNamespace(app);
  const own = app.spec.destination.serviceAccountName?.trim();
  if (own) return { namespace, name: own };
  const entry = (project?.spec.destinationServiceAccounts ?? []).find(
    (e) =>
      (matches(e.server, cluster.server) || e.server === undefined) &&
      matches(e.namespace ?? '*', namespace),
  );
  return entry ? parseAccount(entry.defaultServiceAccount, namespace) : undefined;
}

/** `kube` acting as the app's ServiceAccount, when it has one. */
export function clientFor(kube: Kube, sa: ServiceAccountRef | undefined): Kube {
  return sa ? kube.impersonate(serviceAccountUser(sa)) : kube;
}
