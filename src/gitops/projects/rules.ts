/**
 * What an AppProject allows, as pure functions (after Argo CD's semantics): the app's source
 * repository, its destination, and each rendered object's kind and namespace. Each check returns
 * a typed refusal naming the project, the rule that refused and what it refused, or undefined.
 *
 * - `sourceRepos`: globs; the repository must match one, and no `!` rule.
 * - `destinations`: the cluster (by server URL or registered name) and namespace must match one
 *   entry; an entry with a `!` field denies what it negates (and allows the rest).
 * - Cluster-scoped kinds: allowed only when `clusterResourceWhitelist` lists them and
 *   `clusterResourceBlacklist` does not. Namespaced kinds: allowed unless
 *   `namespaceResourceBlacklist` lists them, or `namespaceResourceWhitelist` is given and does
 *   not. Each namespaced object's own namespace must be an allowed destination too.
 */
import type { AppProjectSpec, GroupKindRule, ProjectDestination } from '../../api/project.ts';
import { formatRef, type ObjectRef } from '../../kube/types.ts';
import { denyPattern, globMatch } from './glob.ts';

/** The rule of a project that refused something (its field name), or the project missing. */
export type ProjectRule =
  | 'project'
  | 'sourceNamespaces'
  | 'sourceRepos'
  | 'destinations'
  | 'clusterResourceWhitelist'
  | 'clusterResourceBlacklist'
  | 'namespaceResourceWhitelist'
  | 'namespaceResourceBlacklist';

export interface ProjectRefusal {
  /** `ProjectNotFound` when the app names a project that does not exist. */
  code: 'ProjectRefused' | 'ProjectNotFound';
  project: string;
  rule: ProjectRule;
  /** The object refused, for rules about objects. */
  object?: ObjectRef;
  /** For people: `project team-a does not allow destination namespace team-b (allowed: team-a-*)`. */
  message: string;
}

/** A project as evaluated: its name and rules (the implicit default project included). */
export interface Project {
  name: string;
  spec: AppProjectSpec;
}

/** Where an app deploys: its cluster resolved to both server URL and registered name. */
export interface Destination {
  server: string;
  name: string;
  namespace: string;
}

const refuse = (
  project: Project,
  rule: ProjectRule,
  message: string,
  object?: ObjectRef,
): ProjectRefusal => ({
  code: 'ProjectRefused',
  project: project.name,
  rule,
  message: `project ${project.name} ${message}`,
  ...(object ? { object } : {}),
});

const listed = (items: readonly string[]): string =>
  items.length === 0 ? 'none listed' : items.join(', ');

/** A repository URL as Argo CD compares them: lower case, no trailing `/` or `.git`. */
export function normalizeRepo(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

/** The app's repository against `sourceRepos`. */
export function checkSource(project: Project, repoURL: string): ProjectRefusal | undefined {
  const rules = project.spec.sourceRepos ?? [];
  const candidates = [repoURL, normalizeRepo(repoURL)];
  const hits = (glob: string): boolean =>
    candidates.some((c) => globMatch(glob, c) || globMatch(normalizeRepo(glob), c));
  let allowed = false;
  for (const rule of rules) {
    const deny = denyPattern(rule);
    if (deny !== undefined) {
      if (hits(deny))
        return refuse(
          project,
          'sourceRepos',
          `denies repository ${repoURL} (sourceRepos: ${rule})`,
        );
    } else if (hits(rule)) allowed = true;
  }
  if (allowed) return undefined;
  return refuse(
    project,
    'sourceRepos',
    `does not allow repository ${repoURL} (sourceRepos: ${listed(rules)})`,
  );
}

/** One field of a destination entry: does it match, and does a `!` in it deny the value? */
function field(
  pattern: string | undefined,
  value: string,
): { matches: boolean; denies: boolean; given: boolean } {
  if (pattern === undefined || pattern === '')
    return { matches: false, denies: false, given: false };
  const deny = denyPattern(pattern);
  if (deny === undefined) return { matches: globMatch(pattern, value), denies: false, given: true };
  const hit = globMatch(deny, value);
  return { matches: !hit, denies: hit, given: true };
}

function showDestination(d: ProjectDestination): string {
  const cluster = d.name ? `name ${d.name}` : `server ${d.server ?? ''}`;
  return `${cluster} namespace ${d.namespace ?? ''}`;
}

/** Which entry decides `dst`: `allowed`, `denied` by an entry with `!`, or no entry matched. */
function destinationVerdict(
  entries: readonly ProjectDestination[],
  dst: Destination,
): { allowed: true } | { allowed: false; deniedBy?: ProjectDestination } {
  let allowed = false;
  for (const e of entries) {
    const server = field(e.server, dst.server);
    const name = field(e.name, dst.name);
    const ns = field(e.namespace ?? '', dst.namespace);
    const nsMatches = ns.matches || (!ns.given && dst.namespace === '');
    const cluster = server.matches || name.matches;
    if (cluster && nsMatches) allowed = true;
    else if ((server.denies || name.denies) && !cluster && nsMatches)
      return { allowed: false, deniedBy: e };
    else if (ns.denies && cluster) return { allowed: false, deniedBy: e };
  }
  return allowed ? { allowed: true } : { allowed: false };
}

/**
 * The destination against `destinations`. `object` is set when checking the namespace of one
 * object rather than the app's own destination.
 */
export function checkDestination(
  project: Project,
  dst: Destination,
  object?: ObjectRef,
): ProjectRefusal | undefined {
  const entries = project.spec.destinations ?? [];
  const v = destinationVerdict(entries, dst);
  if (v.allowed) return undefined;
  const what = object ? `${formatRef(object)}: ` : '';
  const clusterNamespaced = entries.some(
    (e) => field(e.server, dst.server).matches || field(e.name, dst.name).matches,
  );
  if (v.deniedBy)
    return refuse(
      project,
      'destinations',
      `${object ? `does not allow ${formatRef(object)}: it ` : ''}denies destination ${dst.name} namespace ${dst.namespace} (destinations: ${showDestination(v.deniedBy)})`,
      object,
    );
  if (clusterNamespaced) {
    const allowed = entries
      .filter((e) => field(e.server, dst.server).matches || field(e.name, dst.name).matches)
      .map((e) => e.namespace ?? '')
      .filter((n) => !n.startsWith('!'));
    return refuse(
      project,
      'destinations',
      `does not allow ${what}destination namespace ${dst.namespace || '(none)'} (allowed: ${listed(allowed)})`,
      object,
    );
  }
  return refuse(
    project,
    'destinations',
    `does not allow ${what}destination cluster ${dst.name} (${dst.server}) (allowed: ${listed(entries.map(showDestination))})`,
    object,
  );
}

const inList = (list: readonly GroupKindRule[], ref: ObjectRef): GroupKindRule | undefined =>
  list.find(
    (r) =>
      globMatch(r.group, ref.group) &&
      globMatch(r.kind, ref.kind) &&
      (r.name === undefined || r.name === '' || globMatch(r.name, ref.name)),
  );

const showKinds = (list: readonly GroupKindRule[]): string =>
  list.length === 0
    ? 'none listed'
    : list
        .map((r) => `${r.group || '(core)'}/${r.kind}${r.name ? ` named ${r.name}` : ''}`)
        .join(', ');

const kindOf = (ref: ObjectRef): string => `${ref.group || '(core)'}/${ref.kind}`;

/** One object's kind (and, when namespaced, its namespace) against the project. */
export function checkObject(
  project: Project,
  ref: ObjectRef,
  namespaced: boolean,
  cluster: Pick<Destination, 'server' | 'name'>,
): ProjectRefusal | undefined {
  const s = project.spec;
  const obj = formatRef(ref);
  if (!namespaced) {
    const allow = s.clusterResourceWhitelist ?? [];
    if (!inList(allow, ref))
      return refuse(
        project,
        'clusterResourceWhitelist',
        `does not allow ${obj}: cluster-scoped kind ${kindOf(ref)} is not in clusterResourceWhitelist (allowed: ${showKinds(allow)})`,
        ref,
      );
    const denied = inList(s.clusterResourceBlacklist ?? [], ref);
    if (denied)
      return refuse(
        project,
        'clusterResourceBlacklist',
        `does not allow ${obj}: clusterResourceBlacklist denies ${showKinds([denied])}`,
        ref,
      );
    return undefined;
  }
  const allow = s.namespaceResourceWhitelist;
  if (allow !== undefined && !inList(allow, ref))
    return refuse(
      project,
      'namespaceResourceWhitelist',
      `does not allow ${obj}: kind ${kindOf(ref)} is not in namespaceResourceWhitelist (allowed: ${showKinds(allow)})`,
      ref,
    );
  const denied = inList(s.namespaceResourceBlacklist ?? [], ref);
  if (denied)
    return refuse(
      project,
      'namespaceResourceBlacklist',
      `does not allow ${obj}: namespaceResourceBlacklist denies ${showKinds([denied])}`,
      ref,
    );
  return checkDestination(project, { ...cluster, namespace: ref.namespace }, ref);
}
