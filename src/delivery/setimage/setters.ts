/**
 * Flux's image setter markers, in any YAML file: a line comment naming an image policy marks the
 * value on that line to be kept at the image the policy selected.
 *
 * ```yaml
 * image: localhost:5000/web:1.2.0 # {"$imagepolicy": "apps:web"}        whole reference
 * repository: localhost:5000/web  # {"$imagepolicy": "apps:web:name"}   name only
 * tag: 1.2.0                      # {"$imagepolicy": "apps:web:tag"}    tag only
 * digest: sha256:...              # {"$imagepolicy": "apps:web:digest"} digest only
 * ```
 *
 * The marker must be on the same line as the value, after it; the policy is named
 * `namespace:name`. The whole reference is `name:tag`, with `@digest` when the policy reports one.
 * Markers naming a policy that is not given, or a `:digest` when the policy has none, are left
 * alone. Every document of the file is searched; map values and list items alike.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { formatKeyPath, type PathSegment } from './keypath.ts';
import type { EditResult, ObjectId, YamlChange } from './result.ts';
import { applyEdits, lineEndOf, type TextEdit } from './text.ts';
import { parseYamlFile, rangeOf, replaceScalar, scalarText, type YamlFile } from './yamldoc.ts';

/** The image a policy selected, as its status reports it. */
export interface PolicyImage {
  /** The repository: `localhost:5000/web`. */
  image: string;
  tag: string;
  digest?: string;
}

export type SetterField = 'name' | 'tag' | 'digest';

/** A marker as found on a line: the policy (`namespace:name`) and the field, if any. */
export interface SetterMarker {
  policy: string;
  field?: SetterField;
}

const MARKER = /^[\s,]*#\s*(\{.*"\$imagepolicy".*\})\s*$/;

/**
 * The setter marker in a line comment (the text after a value), or undefined.
 *
 * @example
 * parseMarker(' # {"$imagepolicy": "apps:web:tag"}') // { policy: 'apps:web', field: 'tag' }
 */
export function parseMarker(rest: string): SetterMarker | undefined {
  const m = MARKER.exec(rest);
  if (!m?.[1]) return undefined;
  let value: unknown;
  try {
    value = (JSON.parse(m[1]) as Record<string, unknown>)['$imagepolicy'];
  } catch {
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  const parts = value.split(':');
  const [ns, name, field] = parts;
  if (!ns || !name || parts.length > 3) return undefined;
  if (field === undefined) return { policy: `${ns}:${name}` };
  if (field !== 'name' && field !== 'tag' && field !== 'digest') return undefined;
  return { policy: `${ns}:${name}`, field };
}

/** The value a marker asks for, or undefined when the policy cannot give it. */
export function markerValue(img: PolicyImage, field: SetterField | undefined): string | undefined {
  if (field === 'name') return img.image;
  if (field === 'tag') return img.tag;
  if (field === 'digest') return img.digest;
  return `${img.image}:${img.tag}${img.digest ? `@${img.digest}` : ''}`;
}

function objectOf(root: Node | null | undefined): ObjectId | undefined {
  if (!isMap(root)) return undefined;
  const js = root.toJSON() as Record<string, unknown>;
  const meta = (js['metadata'] ?? {}) as Record<string, unknown>;
  const id: ObjectId = {};
  if (typeof js['apiVersion'] === 'string') id.apiVersion = js['apiVersion'];
  if (typeof js['kind'] === 'string') id.kind = js['kind'];
  if (typeof meta['name'] === 'string') id.name = meta['name'];
  if (typeof meta['namespace'] === 'string') id.namespace = meta['namespace'];
  return Object.keys(id).length > 0 ? id : undefined;
}

interface Visit {
  node: Node;
  path: PathSegment[];
  inFlow: boolean;
}

/** Every scalar value (not key) of a document, with its path. */
function* scalars(
  node: Node | null | undefined,
  path: PathSegment[],
  inFlow: boolean,
): Generator<Visit> {
  if (isScalar(node)) {
    yield { node, path, inFlow };
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      yield* scalars(
        pair.value as Node,
        [...path, String(pair.key.value)],
        inFlow || node.flow === true,
      );
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries())
      yield* scalars(item as Node, [...path, i], inFlow || node.flow === true);
  }
}

/** One marked value brought to the policy's image: the edit and the change, or nothing. */
function visitEdit(
  f: YamlFile,
  v: Visit,
  policies: ReadonlyMap<string, PolicyImage>,
): { edit: TextEdit; change: YamlChange } | undefined {
  if (!isScalar(v.node)) return undefined;
  const end = rangeOf(v.node)[1];
  const marker = parseMarker(f.src.slice(end, lineEndOf(f.src, end)));
  const img = marker && policies.get(marker.policy);
  if (!marker || !img) return undefined;
  const value = markerValue(img, marker.field);
  if (value === undefined) return undefined;
  const oldValue = scalarText(f, v.node);
  const edit = replaceScalar(f, v.node, value, v.inFlow);
  if (!edit) return undefined;
  const setter = marker.field ? `${marker.policy}:${marker.field}` : marker.policy;
  const change: YamlChange = { path: formatKeyPath(v.path), newValue: value, setter };
  if (oldValue !== undefined) change.oldValue = oldValue;
  return { edit, change };
}

/**
 * Brings every marked value of `src` to the image its policy selected. `policies` is keyed by
 * `namespace:name`.
 *
 * @example
 * applySetters(text, new Map([['apps:web', { image: 'localhost:5000/web', tag: '1.3.0' }]]), 'deploy.yaml')
 */
export function applySetters(
  src: string,
  policies: ReadonlyMap<string, PolicyImage>,
  file = 'file.yaml',
): EditResult {
  // Most files carry no marker: no parse at all.
  if (!src.includes('$imagepolicy')) return { text: src, changes: [] };
  const f = parseYamlFile(src, file);
  const edits: TextEdit[] = [];
  const changes: YamlChange[] = [];
  for (const doc of f.docs) {
    const object = objectOf(doc.contents);
    for (const v of scalars(doc.contents, [], false)) {
      const r = visitEdit(f, v, policies);
      if (!r) continue;
      edits.push(r.edit);
      changes.push(object ? { ...r.change, object } : r.change);
    }
  }
  return { text: edits.length > 0 ? applyEdits(src, edits) : src, changes };
}
