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
        : `${problems.length} problems:\n- ${problems.join('\n- ')}`,
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

export async function preflight(
  objects: readonly KubeObject[],
  app: Application,
  discovery: Discovery,
): Promise<Plan> {
  const problems: string[] = [];
  const fromCrds = crdKinds(objects);
  const seen = new Map<string, number>();
  const plan: Plan = { resources: [], hooks: [], createNamespaces: [] };
  const defaultNs = destinationNamespace(app);

  for (const [index, original] of objects.entries()) {
    const hooks = hookTypes(original);
    if (hooks.includes('Skip')) continue;
    const object = structuredClone<KubeObject>(original);
    object.metadata ??= {};
    const label = formatRef(refOf(object)) || `object #${index + 1}`;
    const info = await discovery.find(object.apiVersion, object.kind).catch((err: unknown) => {
      problems.push(
        `${label}: discovery failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    });
    if (info === null) continue;
    let namespaced: boolean;
    let crdPending = false;
    if (info) namespaced = info.namespaced;
    else {
      const fromCrd = fromCrds.get(`${groupOf(object.apiVersion)}/${object.kind}`);
      if (fromCrd === undefined) {
        problems.push(
          `${label}: the cluster does not serve kind ${object.kind} in ${object.apiVersion} (install its CRD first)`,
        );
        continue;
      }
      namespaced = fromCrd;
      crdPending = true;
    }
    if (namespaced) object.metadata.namespace ||= defaultNs;
    else delete object.metadata.namespace;
    const ref: ObjectRef = {
      ...refOf(object),
      name: object.metadata.name ?? object.metadata.generateName ?? '',
    };
    const key = refKey(ref);
    if (hooks.length === 0) {
      const previous = seen.get(key);
      if (previous !== undefined) {
        problems.push(
          `${formatRef(ref)}: defined twice (objects #${previous + 1} and #${index + 1} of the render)`,
        );
        continue;
      }
      seen.set(key, index);
    }
    object.metadata.annotations = {
      ...object.metadata.annotations,
      [TRACKING_ANNOTATION]: trackingId(app.metadata.namespace, app.metadata.name, ref),
    };
    object.metadata.labels = { ...object.metadata.labels, [MANAGED_LABEL]: 'true' };
    const resource: DesiredResource = {
      ref,
      key,
      version: versionOf(object.apiVersion),
      object,
      namespaced,
      wave: syncWave(object),
      options: objectSyncOptions(object),
      ...(crdPending ? { crdPending } : {}),
    };
    if (hooks.length > 0)
      plan.hooks.push({
        ...resource,
        hooks: hooks as HookType[],
        deletePolicies: deletePolicies(object),
      });
    else plan.resources.push(resource);
  }
  if (problems.length > 0) throw new PreflightError(problems);

  const appOptions = parseOptions(app.spec.syncPolicy?.syncOptions ?? []);
  const target = app.spec.destination.namespace;
  if (
    optionEnabled(appOptions, 'CreateNamespace') &&
    target &&
    !seen.has(`/Namespace//${target}`)
  ) {
    plan.createNamespaces.push(target);
  }
  return plan;
}
