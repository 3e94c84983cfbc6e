/**
 * `match` and `exclude`: which resources and requests a rule is about. A block is `any` (one
 * filter must match), `all` (every filter must), or the legacy single filter. A filter matches
 * when each thing it names matches: kinds (`Pod`, `v1/Pod`, `apps/v1/Deployment`, wildcards),
 * names and namespaces (wildcards), annotations, a label `selector`, `operations`, and who
 * asks (`subjects`, `roles`, `clusterRoles`). What cannot be known here (user info in CI, the
 * namespace's labels for `namespaceSelector`) gives `unknown` with the reason, which the
 * engine reports as a skip, never as a pass.
 */
import type { KubeObject } from '../kube/types.ts';
import { wildcardMatch } from './scalars.ts';
import type {
  LabelSelector,
  MatchResources,
  RequestContext,
  ResourceDescription,
  ResourceFilter,
} from './types.ts';

/** true, false, or the reason it cannot be decided. */
export type Tri = boolean | { unknown: string };

/** The resource as matching sees it; `kind` may be an alias (a controller seen as a Pod). */
export interface MatchTarget {
  object: KubeObject;
  group: string;
  version: string;
  kind: string;
  request: RequestContext;
}

export function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const VERSION = /^(v\d+((alpha|beta)\d+)?|\*)$/;

/** Whether one `kinds` entry names the target: Kind, Version/Kind or Group/Version/Kind. */
export function kindMatches(
  entry: string,
  t: Pick<MatchTarget, 'group' | 'version' | 'kind'>,
): boolean {
  const parts = entry.split('/');
  if (parts.length === 1) return wildcardMatch(entry, t.kind);
  if (parts.length === 2) {
    const [a = '', b = ''] = parts;
    // `v1/Pod` names a version; `Pod/status` a subresource, which a stored object never is.
    return VERSION.test(a) && wildcardMatch(a, t.version) && wildcardMatch(b, t.kind);
  }
  const [g = '', v = '', k = ''] = parts;
  return wildcardMatch(g, t.group) && wildcardMatch(v, t.version) && wildcardMatch(k, t.kind);
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const actual = labels[k];
    if (actual === undefined || !wildcardMatch(String(v), actual)) return false;
  }
  return (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    const value = labels[e.key] ?? '';
    const values = e.values ?? [];
    if (e.operator === 'In') return has && values.includes(value);
    if (e.operator === 'NotIn') return !has || !values.includes(value);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
}

const all = (checks: Array<() => Tri>): Tri => {
  let unknown: Tri | undefined;
  for (const c of checks) {
    const r = c();
    if (r === false) return false;
    if (r !== true) unknown ??= r;
  }
  return unknown ?? true;
};

function namespaceOf(t: MatchTarget): string {
  // For a Namespace, `namespaces` names the namespace itself.
  return t.object.kind === 'Namespace'
    ? (t.object.metadata.name ?? '')
    : (t.object.metadata.namespace ?? '');
}

function resourcesMatch(r: ResourceDescription, t: MatchTarget): Tri {
  const meta = t.object.metadata;
  const names = [...(r.names ?? []), ...(r.name !== undefined ? [r.name] : [])];
  return all([
    () => r.kinds === undefined || r.kinds.some((k) => kindMatches(k, t)),
    () =>
      names.length === 0 ||
      names.some((n) => wildcardMatch(n, meta.name ?? meta.generateName ?? '')),
    () => r.namespaces === undefined || r.namespaces.some((n) => wildcardMatch(n, namespaceOf(t))),
    () =>
      r.annotations === undefined ||
      Object.entries(r.annotations).every(([k, v]) => {
        const a = meta.annotations?.[k];
        return a !== undefined && wildcardMatch(String(v), a);
      }),
    () => r.selector === undefined || selectorMatches(r.selector, meta.labels ?? {}),
    () => r.operations === undefined || r.operations.includes(t.request.operation ?? 'CREATE'),
    () => {
      if (r.namespaceSelector === undefined) return true;
      if (t.request.namespaceLabels === undefined) {
        return {
          unknown:
            "namespaceSelector needs the namespace's labels, which this evaluation does not have",
        };
      }
      return selectorMatches(r.namespaceSelector, t.request.namespaceLabels);
    },
  ]);
}

function userMatches(f: ResourceFilter, req: RequestContext): Tri {
  if (f.subjects === undefined && f.roles === undefined && f.clusterRoles === undefined)
    return true;
  const user = req.userInfo;
  if (user === undefined)
    return {
      unknown: 'the rule selects by user (subjects/roles), and this request carries no user info',
    };
  const username = user.username ?? '';
  const subjectOk =
    f.subjects === undefined ||
    f.subjects.some((s) => {
      if (s.kind === 'Group') return (user.groups ?? []).some((g) => wildcardMatch(s.name, g));
      if (s.kind === 'ServiceAccount')
        return username === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
      return wildcardMatch(s.name, username);
    });
  const rolesOk = f.roles === undefined || f.roles.some((r) => (req.roles ?? []).includes(r));
  const clusterRolesOk =
    f.clusterRoles === undefined ||
    f.clusterRoles.some((r) => (req.clusterRoles ?? []).includes(r));
  return subjectOk && rolesOk && clusterRolesOk;
}

export function filterMatches(f: ResourceFilter, t: MatchTarget): Tri {
  return all([
    () => (f.resources === undefined ? true : resourcesMatch(f.resources, t)),
    () => userMatches(f, t.request),
  ]);
}

function anyOf(filters: ResourceFilter[], t: MatchTarget): Tri {
  let unknown: Tri | undefined;
  for (const f of filters) {
    const r = filterMatches(f, t);
    if (r === true) return true;
    if (r !== false) unknown ??= r;
  }
  return unknown ?? false;
}

/** Whether a match (or exclude) block selects the target; an empty block selects nothing. */
export function blockMatches(m: MatchResources | undefined, t: MatchTarget): Tri {
  if (m === undefined) return false;
  if (m.any !== undefined && m.any.length > 0) return anyOf(m.any, t);
  if (m.all !== undefined && m.all.length > 0)
    return all(m.all.map((f) => () => filterMatches(f, t)));
  if (
    m.resources === undefined &&
    m.subjects === undefined &&
    m.roles === undefined &&
    m.clusterRoles === undefined
  ) {
    return false;
  }
  return filterMatches(m, t);
}

/** The kinds a block names, across its filters (for autogen and indexing). */
export function blockKinds(m: MatchResources | undefined): string[] {
  if (m === undefined) return [];
  const filters = [...(m.any ?? []), ...(m.all ?? []), m];
  return filters.flatMap((f) => f.resources?.kinds ?? []);
}
