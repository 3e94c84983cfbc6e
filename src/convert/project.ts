/**
 * Argo CD AppProject: Sluice's AppProject has Argo CD's field names, so the rules carry over as
 * they are (sourceRepos, destinations, sourceNamespaces, the cluster and namespace resource
 * lists, destinationServiceAccounts). Mapped: the `argocd` namespace becomes `sluice-system`
 * (where Sluice's controller reads projects). Named as unsupported: what Sluice keeps but does not
 * enforce (roles, sync windows, orphaned resources monitoring, signature keys, source integrity,
 * permitOnlyProjectScopedClusters), so nobody relies on a fence that is not there.
 */
import { DEFAULT_APP_NAMESPACE } from '../cli/context.ts';
import { formatPath, isJson, type Edit, type Json, type Rewrite } from './types.ts';

type Found = Rewrite['issues'][number];

const UNENFORCED: Record<string, string> = {
  roles: 'project roles (Argo CD RBAC) are not enforced: Sluice authorizes with Kubernetes RBAC',
  syncWindows: 'sync windows are not enforced: syncs are not held back by time',
  orphanedResources: 'orphaned resources monitoring is not done',
  signatureKeys:
    'GnuPG signature keys are not checked here: use spec.source.verify on the Applications',
  sourceIntegrity:
    'source integrity is not checked here: use spec.source.verify on the Applications',
  permitOnlyProjectScopedClusters: 'project-scoped clusters are not supported',
};

export function projectRewrite(obj: Json): Rewrite {
  const edits: Edit[] = [];
  const issues: Found[] = [];
  const meta = isJson(obj['metadata']) ? obj['metadata'] : {};
  if (meta['namespace'] === 'argocd') {
    edits.push({ op: 'set', path: ['metadata', 'namespace'], value: DEFAULT_APP_NAMESPACE });
    issues.push({
      path: formatPath(['metadata', 'namespace']),
      kind: 'changed',
      message: `argocd -> ${DEFAULT_APP_NAMESPACE}, where Sluice's controller reads AppProjects (its --namespace)`,
    });
  }
  const spec = isJson(obj['spec']) ? obj['spec'] : {};
  for (const [field, message] of Object.entries(UNENFORCED)) {
    const value = spec[field];
    if (value === undefined || value === false || (Array.isArray(value) && value.length === 0))
      continue;
    issues.push({
      path: formatPath(['spec', field]),
      kind: 'unsupported',
      message: `${message} (kept in the object)`,
    });
  }
  return { edits, issues };
}
