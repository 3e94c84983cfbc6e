/**
 * Step 3 of a reconcile: turn rendered objects into a plan, or refuse the whole revision.
 *
 * Every problem is collected (not just the first), nothing is written. The plan carries each
 * object with its namespace defaulted, Sluice's tracking annotation and managed label added, its
 * sync wave, and, for hooks, their types and delete policies.
 */
import type { Application, HookType } from '../api/application.ts';
import { SluiceError } from '../errors.ts';
import type { Discovery } from '../kube/discovery.ts';
import {
  formatRef,
  groupOf,
  isRecord,
  refKey,
  refOf,
  versionOf,
  type KubeObject,
  type ObjectRef,
} from '../kube/types.ts';
import {
  deletePolicies,
  hookTypes,
  MANAGED_LABEL,
  objectSyncOptions,
  optionEnabled,
  parseOptions,
  syncWave,
  TRACKING_ANNOTATION,
  trackingId,
  type DeletePolicy,
} from './annotations.ts';
import { someOf } from './summary.ts';

export interface DesiredResource {
  ref: ObjectRef;
  key: string;
  version: string;
  object: KubeObject;
  namespaced: boolean;
  wave: number;
  /** Object-level sync options (`Prune=false`, ...). */
  options: Map<string, string>;
  /** Set for hooks: when they run. */
  hooks?: HookType[];
  deletePolicies?: Set<DeletePolicy>;
  /** Its kind comes from a CRD in this same revision that the cluster does not serve yet. */
  crdPending?: boolean;
}

export interface Plan {
  resources: DesiredResource[];
  hooks: DesiredResource[];
  /** Namespaces to create first (CreateNamespace=true), if not part of the render. */
  createNamespaces: string[];
}

export class PreflightError extends SluiceError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      'PreflightFailed',
      problems.length === 1
        ? (problems[0] ?? '')
        : `${problems.length} problems:\n- ${someOf(problems, 10, '\n- ')}`,
      {
        hint: 'fix the manifests in Git; nothing of this revision was applied',
      },
    );
    this.problems = problems;
  }
}

/** Kinds defined by CRDs inside the render: `group/Kind` -> namespaced. */
function crdKinds(objects: readonly KubeObject[]): Map<string, boolean> {
  const kinds = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io')
      continue;
    const spec = o['spec'];
    if (!isRecord(spec) || !isRecord(spec['names'])) continue;
    kinds.set(
      `${String(spec['group'])}/${String(spec['names']['kind'])}`,
      spec['scope'] !== 'Cluster',
    );
  }
  return kinds;
}

export function destinationNamespace(app: Application): string {
  return app.spec.destination.namespace || 'default';
}

/** What discovery says about an object's kind. */
export type KindLookup =
  | { state: 'served'; namespaced: boolean }
  | { state: 'notServed' }
  | { state: 'failed'; message: string };

async function lookupKind(discovery: Discovery, object: KubeObject): Promise<KindLookup> {
  try {
    const info = await discovery.find(object.apiVersion, object.kind);
    return info ? { state: 'served', namespaced: info.namespaced } : { state: 'notServed' };
  } catch (err) {
    return { state: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}

export async function preflight(
  objects: readonly KubeObject[],
  app: Application,
  discovery: Discovery,
): Promise<Plan> {
  const kinds: Array<KindLookup | undefined> = [];
  for (const object of objects) {
    kinds.push(
      hookTypes(object).includes('Skip') ? undefined : await lookupKind(discovery, object),
    );
  }
  return planObjects(objects, app, kinds);
}

interface PlanContext {
  app: Application;
  defaultNs: string;
  fromCrds: Map<string, boolean>;
  /** Keys of the (non-hook) objects planned so far -> their index in the render. */
  seen: Map<string, number>;
}

/**
 * The plan for rendered `objects`, given what discovery said about each one's kind (`kinds[i]`
 * for `objects[i]`; undefined: not looked up). Throws a PreflightError listing every problem.
 */
export function planObjects(
  objects: readonly KubeObject[],
  app: Application,
  kinds: readonly (KindLookup | undefined)[],
): Plan {
  const problems: string[] = [];
  const ctx: PlanContext = {
    app,
    defaultNs: destinationNamespace(app),
    fromCrds: crdKinds(objects),
    seen: new Map(),
  };
  const plan: Plan = { resources: [], hooks: [], createNamespaces: [] };
  for (const [index, original] of objects.entries()) {
    const planned = planObject(original, index, kinds[index], ctx);
    if (typeof planned === 'string') problems.push(planned);
    else if (planned?.hooks) plan.hooks.push(planned);
    else if (planned) plan.resources.push(planned);
  }
  if (problems.length > 0) throw new PreflightError(problems);
  plan.createNamespaces = namespacesToCreate(app, ctx.seen);
  return plan;
}

/** Whether the object is namespaced, from discovery or a CRD in the render; or the problem. */
function scopeOf(
  object: KubeObject,
  label: string,
  lookup: KindLookup | undefined,
  fromCrds: Map<string, boolean>,
): { namespaced: boolean; crdPending: boolean } | string {
  if (lookup?.state === 'failed') return `${label}: discovery failed: ${lookup.message}`;
  if (lookup?.state === 'served') return { namespaced: lookup.namespaced, crdPending: false };
  const fromCrd = fromCrds.get(`${groupOf(object.apiVersion)}/${object.kind}`);
  if (fromCrd === undefined) {
    return `${label}: the cluster does not serve kind ${object.kind} in ${object.apiVersion} (install its CRD first)`;
  }
  return { namespaced: fromCrd, crdPending: true };
}

/** One object's place in the plan: undefined when skipped, a string when it is refused. */
function planObject(
  original: KubeObject,
  index: number,
  lookup: KindLookup | undefined,
  ctx: PlanContext,
): DesiredResource | string | undefined {
  const hooks = hookTypes(original);
  if (hooks.includes('Skip')) return undefined;
  const object = structuredClone<KubeObject>(original);
  object.metadata ??= {};
  const label = formatRef(refOf(object)) || `object #${index + 1}`;
  const scope = scopeOf(object, label, lookup, ctx.fromCrds);
  if (typeof scope === 'string') return scope;
  if (scope.namespaced) object.metadata.namespace ||= ctx.defaultNs;
  else delete object.metadata.namespace;
  const ref: ObjectRef = {
    ...refOf(object),
    name: object.metadata.name ?? object.metadata.generateName ?? '',
  };
  const key = refKey(ref);
  if (hooks.length === 0) {
    const previous = ctx.seen.get(key);
    if (previous !== undefined) {
      return `${formatRef(ref)}: defined twice (objects #${previous + 1} and #${index + 1} of the render)`;
    }
    ctx.seen.set(key, index);
  }
  object.metadata.annotations = {
    ...object.metadata.annotations,
    [TRACKING_ANNOTATION]: trackingId(ctx.app.metadata.namespace, ctx.app.metadata.name, ref),
  };
  object.metadata.labels = { ...object.metadata.labels, [MANAGED_LABEL]: 'true' };
  const resource: DesiredResource = {
    ref,
    key,
    version: versionOf(object.apiVersion),
    object,
    namespaced: scope.namespaced,
    wave: syncWave(object),
    options: objectSyncOptions(object),
    ...(scope.crdPending ? { crdPending: true } : {}),
  };
  if (hooks.length === 0) return resource;
  return { ...resource, hooks: hooks as HookType[], deletePolicies: deletePolicies(object) };
}

/** The destination namespace, when CreateNamespace=true and the render does not define it. */
function namespacesToCreate(app: Application, seen: Map<string, number>): string[] {
  const appOptions = parseOptions(app.spec.syncPolicy?.syncOptions ?? []);
  const target = app.spec.destination.namespace;
  if (optionEnabled(appOptions, 'CreateNamespace') && target && !seen.has(`/Namespace//${target}`))
    return [target];
  return [];
}
