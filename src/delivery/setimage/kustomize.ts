/**
 * Setting an image in a Kustomization's `images:` list, as `kustomize edit set image` does, but
 * as an edit of the file that keeps its comments and layout:
 *
 * - the entry is found by `name` (added at the end of the list when missing, and the list
 *   added when the file has none);
 * - `newName` is written when the new reference names another repository than `name`;
 * - a tag without a digest removes a digest (kustomize renders a digest over a tag), a digest
 *   without a tag removes `newTag`, and both together are both written (`:tag@digest`).
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { SetImageError } from './errors.ts';
import type { ImageRef } from './imageref.ts';
import type { EditResult, YamlChange } from './result.ts';
import { applyEdits, type TextEdit } from './text.ts';
import {
  appendItem,
  appendToEmpty,
  findPair,
  insertPair,
  parseYamlFile,
  removePair,
  replaceScalar,
  scalarText,
  type NewMap,
  type YamlFile,
  type YamlMap,
} from './yamldoc.ts';

/** What to write for one image: the entry's `name` and the new reference. */
export interface KustomizeImageEdit {
  /** The image name the manifests use (the entry's `name`). */
  name: string;
  /** The new reference: its name (-> newName), tag (-> newTag) and digest. */
  ref: ImageRef;
}

type Field = 'newName' | 'newTag' | 'digest';
/** A field to set (a string) or remove (null); fields not listed stay as they are. */
type Wanted = Partial<Record<Field, string | null>>;

function wanted(entry: YamlMap | undefined, f: YamlFile, e: KustomizeImageEdit): Wanted {
  const w: Wanted = {};
  const current = entry ? findPair(entry, 'newName') : undefined;
  const currentName = current && isScalar(current.value) ? scalarText(f, current.value) : undefined;
  if (e.ref.name !== e.name || (currentName !== undefined && currentName !== e.ref.name))
    w.newName = e.ref.name;
  if (e.ref.tag !== undefined) w.newTag = e.ref.tag;
  else if (e.ref.digest !== undefined) w.newTag = null;
  if (e.ref.digest !== undefined) w.digest = e.ref.digest;
  else if (e.ref.tag !== undefined) w.digest = null;
  return w;
}

function entryName(f: YamlFile, item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const pair = findPair(item, 'name');
  return pair && isScalar(pair.value) ? scalarText(f, pair.value) : undefined;
}

function newEntry(e: KustomizeImageEdit, w: Wanted): NewMap {
  const m: NewMap = { name: e.name };
  for (const k of ['newName', 'newTag', 'digest'] as const) {
    const v = w[k];
    if (typeof v === 'string') m[k] = v;
  }
  return m;
}

interface Step {
  edit: TextEdit | undefined;
  change: YamlChange | undefined;
}

const NONE: Step = { edit: undefined, change: undefined };

/** One field of an existing entry: set, add or remove. */
function fieldStep(
  f: YamlFile,
  entry: YamlMap,
  name: string,
  field: Field,
  v: string | null,
): Step {
  const path = `images[name=${name}].${field}`;
  const pair = findPair(entry, field);
  const node = pair?.value as Node | null | undefined;
  const oldValue = isScalar(node) ? scalarText(f, node) : undefined;
  const old = oldValue !== undefined ? { oldValue } : {};
  if (v === null) {
    if (!pair) return NONE;
    return { edit: removePair(f, entry, pair), change: { path, ...old } };
  }
  if (!pair) return { edit: insertPair(f, entry, field, v), change: { path, newValue: v } };
  if (!isScalar(node)) throw notScalar(f, path);
  const edit = replaceScalar(f, node, v, entry.flow === true);
  return edit ? { edit, change: { path, ...old, newValue: v } } : NONE;
}

function notScalar(f: YamlFile, path: string): SetImageError {
  return new SetImageError('PathConflict', f.file, `${path} is not a single value`);
}

/** The next step towards the wanted entry, or NONE when it is there. */
function nextStep(src: string, file: string, e: KustomizeImageEdit): Step {
  const f = parseYamlFile(src, file);
  const root = f.docs[0]?.contents as Node | null | undefined;
  const path = `images[name=${e.name}]`;
  const add = (w: Wanted): NewMap => newEntry(e, w);
  if (!root || (isScalar(root) && root.value === null)) {
    const entry = add(wanted(undefined, f, e));
    return {
      edit: appendToEmpty(f, 'images', [entry]),
      change: { path, newValue: JSON.stringify(entry) },
    };
  }
  if (!isMap(root)) throw new SetImageError('PathConflict', file, 'the file is not a map');
  const images = findPair(root, 'images');
  if (!images) {
    const entry = add(wanted(undefined, f, e));
    return {
      edit: insertPair(f, root, 'images', [entry]),
      change: { path, newValue: JSON.stringify(entry) },
    };
  }
  const list = images.value as Node | null;
  if (!isSeq(list)) throw new SetImageError('PathConflict', file, '`images` is not a list');
  const entry = list.items.find((item) => entryName(f, item) === e.name) as YamlMap | undefined;
  if (!entry) {
    const item = add(wanted(undefined, f, e));
    return { edit: appendItem(f, list, item), change: { path, newValue: JSON.stringify(item) } };
  }
  const w = wanted(entry, f, e);
  for (const field of ['newName', 'newTag', 'digest'] as const) {
    const v = w[field];
    if (v === undefined) continue;
    const step = fieldStep(f, entry, e.name, field, v);
    if (step.edit) return step;
  }
  return NONE;
}

/**
 * Sets images in the Kustomization `src` (the text of a kustomization.yaml).
 *
 * @example
 * setKustomizeImages(text, [{ name: 'web', ref: parseImageRef('localhost:5000/web:v2') }])
 */
export function setKustomizeImages(
  src: string,
  edits: readonly KustomizeImageEdit[],
  file = 'kustomization.yaml',
): EditResult {
  let text = src;
  const changes: YamlChange[] = [];
  for (const e of edits) {
    // One change per parse: each edit's offsets come from the text as it is now. Bounded: an
    // entry has three fields, and the entry itself may need adding.
    for (let i = 0; i < 5; i++) {
      const step = nextStep(text, file, e);
      if (!step.edit) break;
      text = applyEdits(text, [step.edit]);
      if (step.change) changes.push(step.change);
    }
  }
  return { text, changes };
}
