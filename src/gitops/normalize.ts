/**
 * What "the same" means when comparing a desired object with a live one: the metadata the
 * server owns is dropped (managedFields, resourceVersion, generation, uid, creationTimestamp),
 * status is dropped, and `ignoreDifferences` rules remove what users asked us to ignore.
 */
import type { IgnoreDifference } from '../api/application.ts';
import { isRecord, type KubeObject, type ObjectRef } from '../kube/types.ts';

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
] as const;

/** A copy without server-owned metadata and status. */
export function stripNoise(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  for (const k of SERVER_METADATA) delete copy.metadata[k];
  delete copy['status'];
  const ann = copy.metadata.annotations;
  if (ann) {
    delete ann['kubectl.kubernetes.io/last-applied-configuration'];
    delete ann['deployment.kubernetes.io/revision'];
    if (Object.keys(ann).length === 0) delete copy.metadata.annotations;
  }
  return copy;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Removes the value at an RFC 6901 JSON pointer, if present. */
export function removePointer(obj: unknown, pointer: string): void {
  const tokens = pointer.split('/').slice(1).map(unescape);
  let node: unknown = obj;
  for (const [i, t] of tokens.entries()) {
    const last = i === tokens.length - 1;
    if (Array.isArray(node)) {
      const idx = Number(t);
      if (!Number.isInteger(idx) || idx >= node.length) return;
      if (last) node.splice(idx, 1);
      else node = node[idx];
    } else if (isRecord(node)) {
      if (!(t in node)) return;
      if (last) delete node[t];
      else node = node[t];
    } else return;
  }
}

function walk(obj: unknown, tokens: readonly string[]): unknown {
  let node: unknown = obj;
  for (const t of tokens) {
    if (Array.isArray(node)) node = node[Number(t)];
    else if (isRecord(node)) node = node[t];
    else return undefined;
  }
  return node;
}

/** The value at an RFC 6901 JSON pointer, or undefined. */
export function readPointer(obj: unknown, pointer: string): unknown {
  return walk(obj, pointer.split('/').slice(1).map(unescape));
}

/** Sets the value at a pointer whose parent exists (an object, or a list long enough). */
function writePointer(obj: unknown, pointer: string, value: unknown): void {
  const tokens = pointer.split('/').slice(1).map(unescape);
  const last = tokens.pop();
  const parent = walk(obj, tokens);
  if (last === undefined) return;
  if (Array.isArray(parent) && Number(last) < parent.length) parent[Number(last)] = value;
  else if (isRecord(parent)) parent[last] = value;
}

/**
 * `desired` with the live values at `pointers` (absent live, absent desired): what Argo CD's
 * `RespectIgnoreDifferences=true` applies, so that a sync leaves ignored fields as they are.
 */
export function keepLiveAt(
  desired: KubeObject,
  live: KubeObject,
  pointers: readonly string[],
): KubeObject {
  const copy = structuredClone(desired);
  for (const p of pointers) {
    const value = readPointer(live, p);
    if (value === undefined) removePointer(copy, p);
    else writePointer(copy, p, structuredClone(value));
  }
  return copy;
}

/** Turns a managedFields `fieldsV1` tree into JSON pointers of the plain fields it names. */
export function fieldsToPointers(fields: unknown, prefix = ''): string[] {
  if (!isRecord(fields)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (!k.startsWith('f:')) continue; // list items (k:, v:, i:) are not addressed by pointers here
    const p = `${prefix}/${k.slice(2).replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const children = isRecord(v) ? Object.keys(v).filter((c) => c.startsWith('f:')) : [];
    if (children.length === 0) out.push(p);
    else out.push(...fieldsToPointers(v, p));
  }
  return out;
}

export function rulesFor(
  rules: readonly IgnoreDifference[] | undefined,
  ref: ObjectRef,
): IgnoreDifference[] {
  return (rules ?? []).filter(
    (r) =>
      r.kind === ref.kind &&
      (r.group ?? '') === ref.group &&
      (r.name === undefined || r.name === ref.name) &&
      (r.namespace === undefined || r.namespace === ref.namespace),
  );
}

/** Pointers that the rules ignore for this object (jsonPointers, plus fields owned by listed managers in `live`). */
export function ignoredPointers(
  rules: readonly IgnoreDifference[],
  live: KubeObject | undefined,
): string[] {
  const pointers: string[] = [];
  for (const r of rules) {
    pointers.push(...(r.jsonPointers ?? []));
    if (r.managedFieldsManagers && live) {
      for (const entry of (live.metadata.managedFields ?? []) as Array<{
        manager?: string;
        fieldsV1?: unknown;
      }>) {
        if (entry.manager && r.managedFieldsManagers.includes(entry.manager))
          pointers.push(...fieldsToPointers(entry.fieldsV1));
      }
    }
  }
  return pointers;
}

/** stripNoise, then remove ignored pointers. */
export function normalize(obj: KubeObject, pointers: readonly string[]): KubeObject {
  const copy = stripNoise(obj);
  for (const p of pointers) removePointer(copy, p);
  return copy;
}

/** Deep equality of JSON values, key order ignored. */
export { jsonEqual } from '../util/json.ts';
