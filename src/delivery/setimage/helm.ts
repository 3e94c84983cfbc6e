/**
 * Setting a value in a Helm values file (or any YAML map) by key path, `image.tag`: the value is
 * replaced where it stands, or added with the keys leading to it, next to its siblings.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { SetImageError } from './errors.ts';
import { formatKeyPath, parseKeyPath, type PathSegment } from './keypath.ts';
import type { EditResult, YamlChange } from './result.ts';
import { applyEdits, type TextEdit } from './text.ts';
import {
  appendToEmpty,
  findPair,
  insertPair,
  parseYamlFile,
  replaceScalar,
  scalarText,
  type NewValue,
  type YamlFile,
} from './yamldoc.ts';

/** `rest` of a path as nested maps around `value`: ['image', 'tag'] -> {image: {tag: value}}. */
function nest(rest: readonly PathSegment[], value: string): NewValue {
  let out: NewValue = value;
  for (let i = rest.length - 1; i >= 0; i--) out = { [String(rest[i])]: out };
  return out;
}

function conflict(
  f: YamlFile,
  path: readonly PathSegment[],
  at: number,
  what: string,
): SetImageError {
  return new SetImageError(
    'PathConflict',
    f.file,
    `${formatKeyPath(path.slice(0, at))} is ${what}, so ${formatKeyPath(path)} cannot be set`,
    { hint: 'check the key path against the file' },
  );
}

function describe(node: Node | null | undefined): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'empty' : 'a single value';
  return 'not a map';
}

interface Step {
  edit: TextEdit | undefined;
  change: YamlChange | undefined;
}

/** Walks `path` from `root`, replacing the last value or adding what is missing. */
function walk(f: YamlFile, root: Node, path: readonly PathSegment[], value: string): Step {
  let node: Node = root;
  let inFlow = false;
  const where = formatKeyPath(path);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as PathSegment;
    inFlow ||= (isMap(node) || isSeq(node)) && node.flow === true;
    if (typeof seg === 'number') {
      const item = isSeq(node) ? (node.items[seg] as Node | undefined) : undefined;
      if (!item) throw conflict(f, path, i + 1, isSeq(node) ? 'missing' : describe(node));
      node = item;
      continue;
    }
    if (!isMap(node)) throw conflict(f, path, i, describe(node));
    const pair = findPair(node, seg);
    if (!pair) {
      const edit = insertPair(f, node, seg, nest(path.slice(i + 1), value));
      return { edit, change: { path: where, newValue: value } };
    }
    node = pair.value as Node;
    if (node === null) throw conflict(f, path, i + 1, 'written without a value');
  }
  if (!isScalar(node)) throw conflict(f, path, path.length, describe(node));
  const oldValue = scalarText(f, node);
  const edit = replaceScalar(f, node, value, inFlow);
  const change: YamlChange = { path: where, newValue: value };
  if (oldValue !== undefined) change.oldValue = oldValue;
  return { edit, change: edit ? change : undefined };
}

/** One key of the first document; an empty document gets the whole path. */
function setOne(src: string, file: string, path: readonly PathSegment[], value: string): Step {
  const f = parseYamlFile(src, file);
  const doc = f.docs[0];
  const root = doc?.contents as Node | null | undefined;
  const empty = !root || (isScalar(root) && root.value === null);
  if (empty) {
    const [first, ...rest] = path;
    if (typeof first !== 'string') throw conflict(f, path, 0, 'empty');
    return {
      edit: appendToEmpty(f, first, nest(rest, value)),
      change: { path: formatKeyPath(path), newValue: value },
    };
  }
  return walk(f, root, path, value);
}

/**
 * Sets each `key` (a dotted path) to its value, in order, in the first document of `src`.
 *
 * @example
 * setValues('image:\n  tag: v1 # pinned\n', [{ key: 'image.tag', value: 'v2' }], 'values.yaml')
 * // text: 'image:\n  tag: v2 # pinned\n'
 */
export function setValues(
  src: string,
  values: ReadonlyArray<{ key: string; value: string }>,
  file = 'values.yaml',
): EditResult {
  let text = src;
  const changes: YamlChange[] = [];
  for (const { key, value } of values) {
    const step = setOne(text, file, parseKeyPath(key), value);
    if (step.edit) text = applyEdits(text, [step.edit]);
    if (step.change) changes.push(step.change);
  }
  return { text, changes };
}
