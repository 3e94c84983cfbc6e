/**
 * Step 4 of a reconcile: is each desired object in sync with the cluster?
 *
 * Like Flux, the desired object is server-side-applied in dry-run mode and the result (defaults
 * filled in, other managers' fields kept) is compared with the live object, so defaulted fields
 * never show as drift. Unlike Flux, results are memoized on (hash of the desired object, live
 * resourceVersion): when neither changed, deciding costs no API request at all.
 *
 * What is dry-run (and later applied) is Git's object less what the Rollout controller and
 * operators own on the live object (coexist.ts, ADR 0008): those fields are never a difference.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { IgnoreDifference } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { FIELD_MANAGER } from './annotations.ts';
import { rolloutRoles, yieldToOwners, type RolloutRoles, type Yielded } from './coexist.ts';
import { maskSecretPair } from './mask.ts';
import { ignoredPointers, jsonEqual, keepLiveAt, normalize, rulesFor } from './normalize.ts';
import { resourceError, type ResourceError } from './errors.ts';
import type { DesiredResource } from './preflight.ts';

export interface ResourceDiff {
  resource: DesiredResource;
  /**
   * What is dry-run and applied: Git's object less the fields others own (coexist.ts);
   * undefined means `resource.object` itself.
   */
  desired?: KubeObject;
  /** `desired` holds live values: apply it with the live resourceVersion (a conflict, not an overwrite). */
  carried?: boolean;
  live: KubeObject | undefined;
  /** What the server would store (dry-run result); undefined when it could not be predicted. */
  predicted: KubeObject | undefined;
  inSync: boolean;
  /** The dry-run failed (or the object is another app's): the object, the reason, the cause. */
  error?: ResourceError;
}

interface Memo {
  desiredHash: string;
  liveVersion: string;
  predicted: KubeObject;
}

export function hashObject(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('base64url');
}

/**
 * What a live object *says*, as a hash: everything but status, resourceVersion and
 * managedFields. A status update by a controller changes the resourceVersion, not this, so it
 * does not invalidate a memoized comparison.
 */
const CONTROLLER_ANNOTATIONS = new Set([
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
]);

export function liveFingerprint(live: KubeObject): string {
  const { status: _status, ...rest } = live;
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    generation: _g,
    annotations,
    ...meta
  } = live.metadata;
  // Annotations controllers write on their own (a Deployment's revision) are not ours to compare.
  const kept = annotations
    ? Object.entries(annotations).filter(([k]) => !CONTROLLER_ANNOTATIONS.has(k))
    : [];
  return hashObject({
    ...rest,
    metadata: kept.length > 0 ? { ...meta, annotations: Object.fromEntries(kept) } : meta,
  });
}

/** A shallow copy without managedFields (they are large and never compared). */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata.managedFields) return obj;
  const { managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/** Memoized dry-run results, shared by every app of a controller. */
export class DiffCache {
  private readonly memo = new Map<string, Memo>();
  readonly stats = { hits: 0, dryRuns: 0 };

  lookup(key: string, desiredHash: string, liveVersion: string): KubeObject | undefined {
    const m = this.memo.get(key);
    if (m && m.desiredHash === desiredHash && m.liveVersion === liveVersion) {
      this.stats.hits++;
      return m.predicted;
    }
    return undefined;
  }

  store(key: string, desiredHash: string, liveVersion: string, predicted: KubeObject): void {
    this.memo.set(key, { desiredHash, liveVersion, predicted: withoutManagedFields(predicted) });
  }

  forget(key: string): void {
    this.memo.delete(key);
  }

  get size(): number {
    return this.memo.size;
  }
}

/**
 * The memo key of an object's dry-run: its own key, and the user it was made as (an app acting
 * as a ServiceAccount must not reuse what the controller's identity was allowed).
 */
export function memoKey(kube: Kube, key: string): string {
  return kube.impersonating ? `${kube.impersonating}|${key}` : key;
}

export function inSync(
  predicted: KubeObject,
  live: KubeObject,
  rules: readonly IgnoreDifference[] | undefined,
  resource: DesiredResource,
): boolean {
  const pointers = ignoredPointers(rulesFor(rules, resource.ref), live);
  return jsonEqual(normalize(predicted, pointers), normalize(live, pointers));
}

export interface DiffContext {
  kube: Kube;
  cache: DiffCache;
  ignoreDifferences: readonly IgnoreDifference[] | undefined;
  /** Live object of a resource (from the watch cache, or a GET). */
  live: (r: DesiredResource) => Promise<KubeObject | undefined>;
  /** Namespaces that do not exist yet but this sync will create (dry-run would 404 in them). */
  pendingNamespaces: ReadonlySet<string>;
  /** What the app's Rollouts name (`rolloutRoles(plan.resources)`); none when left out. */
  roles?: RolloutRoles;
  /** Sync option `RespectIgnoreDifferences=true`: ignored fields keep their live values. */
  respectIgnoreDifferences?: boolean;
}

const NO_ROLES = rolloutRoles([]);

/**
 * What to dry-run and apply for `r` against `live`: Git's object less what the Rollout
 * controller and operators own (coexist.ts), and, with `RespectIgnoreDifferences=true` (as in
 * Argo CD), with the live values of the fields `ignoreDifferences` names.
 */
export function desiredFor(
  r: DesiredResource,
  live: KubeObject | undefined,
  ctx: Pick<DiffContext, 'roles' | 'ignoreDifferences' | 'respectIgnoreDifferences'>,
): Yielded {
  const y = yieldToOwners(r, live, ctx.roles ?? NO_ROLES);
  if (!ctx.respectIgnoreDifferences || !live) return y;
  const pointers = ignoredPointers(rulesFor(ctx.ignoreDifferences, r.ref), live);
  return pointers.length === 0 ? y : { ...y, object: keepLiveAt(y.object, live, pointers) };
}

/** Diffs one desired resource; never throws (a failed dry-run becomes `error`). */
export async function diffResource(r: DesiredResource, ctx: DiffContext): Promise<ResourceDiff> {
  // The watch cache drops managedFields; rules that ignore other managers' fields need them.
  const needsManagers = rulesFor(ctx.ignoreDifferences, r.ref).some(
    (x) => x.managedFieldsManagers?.length,
  );
  const live = needsManagers
    ? await ctx.kube.get(r.object.apiVersion, r.ref.kind, r.ref.namespace || undefined, r.ref.name)
    : await ctx.live(r);
  const { object: desired, carried } = desiredFor(r, live, ctx);
  const mine = desired === r.object ? {} : { desired, carried };
  if (r.crdPending || (r.namespaced && ctx.pendingNamespaces.has(r.ref.namespace))) {
    // Cannot be dry-run before its CRD / namespace exists; it is created during the sync.
    return { resource: r, ...mine, live, predicted: undefined, inSync: false };
  }
  const desiredHash = hashObject(desired);
  const liveVersion = live ? liveFingerprint(live) : '';
  const memo = memoKey(ctx.kube, r.key);
  let predicted = live ? ctx.cache.lookup(memo, desiredHash, liveVersion) : undefined;
  if (!predicted) {
    try {
      predicted = await ctx.kube.apply(desired, {
        fieldManager: FIELD_MANAGER,
        force: true,
        dryRun: true,
      });
      ctx.cache.stats.dryRuns++;
      if (live) ctx.cache.store(memo, desiredHash, liveVersion, predicted);
    } catch (err) {
      return {
        resource: r,
        ...mine,
        live,
        predicted: undefined,
        inSync: false,
        error: resourceError(r.ref, 'DryRunFailed', err),
      };
    }
  }
  return {
    resource: r,
    ...mine,
    live,
    predicted,
    inSync: live !== undefined && inSync(predicted, live, ctx.ignoreDifferences, r),
  };
}

/** A unified diff of live -> desired for people, with Secret values masked. Empty when equal. */
export function renderDiff(
  d: ResourceDiff,
  rules: readonly IgnoreDifference[] | undefined,
): string {
  const pointers = ignoredPointers(rulesFor(rules, d.resource.ref), d.live);
  const desired = normalize(d.predicted ?? d.desired ?? d.resource.object, pointers);
  const live = d.live ? normalize(d.live, pointers) : undefined;
  const masked = maskSecretPair(desired, live);
  const name = formatRef(d.resource.ref);
  const a = masked.live ? stringify(masked.live, { sortMapEntries: true }) : '';
  const b = masked.desired ? stringify(masked.desired, { sortMapEntries: true }) : '';
  if (a === b) return '';
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, a, b, undefined, undefined, {
    context: 3,
  });
}
