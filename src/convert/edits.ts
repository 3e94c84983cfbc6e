/**
 * Making a conversion's edits: to plain JSON (for validation and `-o json`) and to a parsed YAML
 * document (for `-o yaml`), where untouched nodes keep their comments and layout, and a moved
 * node takes its comments along.
 */
import { isNode, type Document } from 'yaml';
import { getAt, isJson, type Edit, type Path } from './types.ts';

/** The container holding the last step of `path`, created (as objects) when missing. */
function parentOf(root: unknown, path: Path, create: boolean): unknown {
  let v = root;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(v) && typeof seg === 'number') v = (v as unknown[])[seg];
    else if (isJson(v) && typeof seg === 'string') {
      if (v[seg] === undefined && create) v[seg] = {};
      v = v[seg];
    } else return undefined;
  }
  return v;
}

function setJson(root: unknown, path: Path, value: unknown): void {
  const parent = parentOf(root, path, true);
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') (parent as unknown[])[last] = value;
  else if (isJson(parent) && typeof last === 'string') parent[last] = value;
}

function deleteJson(root: unknown, path: Path): void {
  const parent = parentOf(root, path, false);
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isJson(parent) && typeof last === 'string') delete parent[last];
}

/** A copy of `obj` with the edits made, in order. */
export function applyToJson<T>(obj: T, edits: readonly Edit[]): T {
  const out = structuredClone(obj);
  for (const e of edits) {
    if (e.op === 'set') setJson(out, e.path, structuredClone(e.value));
    else if (e.op === 'delete') deleteJson(out, e.path);
    else {
      const moved = getAt(out, e.from);
      deleteJson(out, e.from);
      setJson(out, e.path, moved);
    }
  }
  return out;
}

/** Makes the edits to a parsed YAML document, in place. */
export function applyToDocument(doc: Document, edits: readonly Edit[]): void {
  for (const e of edits) {
    if (e.op === 'set') doc.setIn(e.path, e.value);
    else if (e.op === 'delete') doc.deleteIn(e.path);
    else {
      const node: unknown = doc.getIn(e.from, true);
      doc.deleteIn(e.from);
      doc.setIn(e.path, isNode(node) ? node : doc.createNode(node));
    }
  }
}
