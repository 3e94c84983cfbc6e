/**
 * Who wrote which field of a live object, read from its server-side-apply `managedFields`.
 *
 * The watch cache keeps only the entries of the managers whose fields the GitOps engine leaves
 * alone (ADR 0008: the Rollout controller and the CLI's rollout commands); everything else in
 * `managedFields` is large, changes on every write and is never compared, so it is dropped.
 */
import { isRecord, type KubeObject } from '../kube/types.ts';

/** The Rollout controller's field manager (src/rollouts: ReplicaSets, Services, routers). */
export const ROLLOUTS_MANAGER = 'sluice-rollouts';
/** The field manager of `sluice rollout pause|promote|restart|...`. */
export const CLI_MANAGER = 'sluice-cli';
/** The managers whose entries the watch cache keeps. */
export const KEPT_MANAGERS: ReadonlySet<string> = new Set([ROLLOUTS_MANAGER, CLI_MANAGER]);

interface ManagedEntry {
  manager?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

function entries(obj: KubeObject | undefined): ManagedEntry[] {
  return (obj?.metadata.managedFields ?? []).filter(isRecord);
}

const escape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Pointers of the fields a `fieldsV1` tree owns whole: scalars, and maps or lists the schema
 * makes atomic. A list of which only some items are owned (`k:`, `v:`, `i:` keys) cannot be named
 * by a pointer and is left out: the caller must not take the whole list for it.
 */
export function wholeFields(fields: unknown, prefix = ''): string[] {
  if (!isRecord(fields)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (!k.startsWith('f:')) continue;
    const p = `${prefix}/${escape(k.slice(2))}`;
    if (!isRecord(v) || Object.keys(v).length === 0) out.push(p);
    else out.push(...wholeFields(v, p));
  }
  return out;
}

/**
 * JSON pointers of the fields `manager` owns whole in the object itself (not in a subresource
 * such as status). A map or list the schema makes atomic (a Service's `spec.selector`, an
 * HTTPRoute's `spec.rules`) is one pointer to the whole of it.
 *
 * @example managedPointers(service, 'sluice-rollouts') // ['/spec/selector']
 */
export function managedPointers(obj: KubeObject | undefined, manager: string): string[] {
  return entries(obj)
    .filter((e) => e.manager === manager && (e.subresource ?? '') === '')
    .flatMap((e) => wholeFields(e.fieldsV1));
}

/**
 * The object with only the `managedFields` entries of KEPT_MANAGERS (the watch cache's
 * transform). Returns the object itself when there is nothing to drop.
 */
export function keepKnownManagers(obj: KubeObject): KubeObject {
  const all = obj.metadata.managedFields;
  if (!all) return obj;
  const kept = entries(obj).filter((e) => e.manager !== undefined && KEPT_MANAGERS.has(e.manager));
  const { managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: kept.length > 0 ? { ...meta, managedFields: kept } : meta };
}
