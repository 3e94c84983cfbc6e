/**
 * Finding things in a YAML file with the `yaml` package's document API and turning a change into
 * text edits of the source (text.ts): replace a scalar, add a key to a map, add an item to a
 * list, remove a key. Block and flow collections are both handled; new lines take the
 * indentation of their neighbours.
 */
import {
  isMap,
  isScalar,
  parseAllDocuments,
  Scalar,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { SetImageError } from './errors.ts';
import { columnOf, lineEndOf, lineStartOf, renderScalar, type TextEdit } from './text.ts';

/** A parsed file: its source and its documents. */
export interface YamlFile {
  file: string;
  src: string;
  docs: Document.Parsed[];
}

/** A value to add: a scalar, a map, or a list of maps. */
export type NewValue = string | NewMap | NewMap[];
export interface NewMap {
  [key: string]: NewValue;
}

export type YamlMap = YAMLMap<unknown, unknown>;
export type YamlSeq = YAMLSeq<unknown>;
export type YamlPair = Pair<unknown, unknown>;

/** Parses every document of `src`; InvalidYAML names the line of the first error. */
export function parseYamlFile(src: string, file: string): YamlFile {
  const docs = parseAllDocuments(src, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line;
      throw new SetImageError(
        'InvalidYAML',
        file,
        `not valid YAML${line !== undefined ? ` at line ${line}` : ''}: ${err.message.split('\n')[0] ?? ''}`,
        { hint: 'fix the file in Git first; nothing was changed' },
      );
    }
  }
  return { file, src, docs: list };
}

/** A node's range; every node of a parsed document has one. */
export function rangeOf(node: Node): [number, number, number] {
  const r = node.range;
  if (!r) throw new Error('node without a source range');
  return r;
}

/** The string a map key stands for, or undefined when it is not a scalar. */
export function keyText(pair: YamlPair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

export function findPair(map: YamlMap, key: string): YamlPair | undefined {
  return map.items.find((p) => keyText(p) === key);
}

/** The scalar's value as text, as written for numbers and booleans; undefined for null. */
export function scalarText(f: YamlFile, node: Scalar): string | undefined {
  if (node.value === null || node.value === undefined) return undefined;
  if (typeof node.value === 'string') return node.value;
  const [start, end] = rangeOf(node);
  return f.src.slice(start, end);
}

/** Replaces the scalar `node` with `value` (same quoting where possible); undefined if equal. */
export function replaceScalar(
  f: YamlFile,
  node: Scalar,
  value: string,
  inFlow: boolean,
): TextEdit | undefined {
  if (scalarText(f, node) === value) return undefined;
  if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) {
    throw new SetImageError('UnsupportedLayout', f.file, 'the value is a multi-line block scalar', {
      hint: 'write the value on one line (key: value), then run again',
    });
  }
  const [start, end] = rangeOf(node);
  const text = renderScalar(value, node.value === null ? undefined : node.type, inFlow);
  // `key:` with nothing after it: the value goes after a space.
  const space = start === end && f.src[start - 1] === ':' ? ' ' : '';
  return { start, end, text: space + text };
}

/** The indentation step of the file: the smallest indentation of a content line, else 2. */
export function indentStep(src: string): number {
  let step = Infinity;
  for (const line of src.split('\n')) {
    const m = /^( +)[^ #]/.exec(line);
    if (m?.[1] && m[1].length < step) step = m[1].length;
  }
  return Number.isFinite(step) ? step : 2;
}

const pad = (n: number): string => ' '.repeat(n);
const key = (k: string): string => renderScalar(k, 'PLAIN', false);

function flowText(value: NewValue): string {
  if (typeof value === 'string') return renderScalar(value, 'PLAIN', true);
  if (Array.isArray(value)) return `[${value.map(flowText).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${key(k)}: ${flowText(v)}`)
    .join(', ')}}`;
}

/** The lines of `k: value` in block style at column `col`. */
export function blockLines(k: string, value: NewValue, col: number, step: number): string[] {
  if (typeof value === 'string') return [`${pad(col)}${key(k)}: ${flowText(value)}`];
  if (Array.isArray(value)) {
    // Lists as kustomize writes them: the dashes under the key.
    return [`${pad(col)}${key(k)}:`, ...value.flatMap((item) => itemLines(item, col, step))];
  }
  return [
    `${pad(col)}${key(k)}:`,
    ...Object.entries(value).flatMap(([kk, v]) => blockLines(kk, v, col + step, step)),
  ];
}

/** A list item holding a map, in block style, its dash at column `col`. */
export function itemLines(item: NewMap, col: number, step: number): string[] {
  const lines = Object.entries(item).flatMap(([k, v]) => blockLines(k, v, col + 2, step));
  const first = lines[0];
  if (first !== undefined) lines[0] = `${pad(col)}- ${first.slice(col + 2)}`;
  return lines;
}

/** Inserts whole lines after the node ending at `end` (which may lack its final newline). */
function insertLines(src: string, end: number, lines: readonly string[]): TextEdit {
  const body = lines.join('\n');
  if (end > 0 && src[end - 1] !== '\n') {
    const at = lineEndOf(src, end);
    return { start: at, end: at, text: `\n${body}` };
  }
  return { start: end, end, text: `${body}\n` };
}

/** Offset just after the last item of a flow collection (or after its opening bracket). */
function flowInsertPoint(node: YamlMap | YamlSeq): { at: number; sep: string } {
  const last = node.items[node.items.length - 1];
  if (last === undefined) return { at: rangeOf(node)[0] + 1, sep: '' };
  const lastNode = (isMap(node) ? (last as YamlPair).value : last) as Node | null;
  const end = lastNode ? rangeOf(lastNode)[1] : rangeOf((last as YamlPair).key as Node)[1];
  return { at: end, sep: ', ' };
}

/** Adds `k: value` at the end of `map`. */
export function insertPair(f: YamlFile, map: YamlMap, k: string, value: NewValue): TextEdit {
  if (map.flow) {
    const { at, sep } = flowInsertPoint(map);
    return { start: at, end: at, text: `${sep}${key(k)}: ${flowText(value)}` };
  }
  const first = map.items[0]?.key as Node | undefined;
  const col = first ? columnOf(f.src, rangeOf(first)[0]) : 0;
  return insertLines(f.src, rangeOf(map)[1], blockLines(k, value, col, indentStep(f.src)));
}

/** Adds a map item at the end of `seq`. */
export function appendItem(f: YamlFile, seq: YamlSeq, item: NewMap): TextEdit {
  if (seq.flow) {
    const { at, sep } = flowInsertPoint(seq);
    return { start: at, end: at, text: `${sep}${flowText(item)}` };
  }
  const col = columnOf(f.src, rangeOf(seq)[0]);
  return insertLines(f.src, rangeOf(seq)[1], itemLines(item, col, indentStep(f.src)));
}

/** Adds `k: value` to a document with no content (an empty or comment-only file). */
export function appendToEmpty(f: YamlFile, k: string, value: NewValue): TextEdit {
  return insertLines(f.src, f.src.length, blockLines(k, value, 0, indentStep(f.src)));
}

/** Removes `pair` from `map` (its line, or its part of a flow map). */
export function removePair(f: YamlFile, map: YamlMap, pair: YamlPair): TextEdit {
  if (map.flow) {
    const kept = map.items.filter((p) => p !== pair);
    const parts = kept.map((p) => {
      const start = rangeOf(p.key as Node)[0];
      const end = p.value ? rangeOf(p.value as Node)[1] : rangeOf(p.key as Node)[1];
      return f.src.slice(start, end);
    });
    const [start, end] = rangeOf(map);
    return { start, end, text: `{${parts.join(', ')}}` };
  }
  const keyStart = rangeOf(pair.key as Node)[0];
  let end = pair.value ? rangeOf(pair.value as Node)[2] : rangeOf(pair.key as Node)[2];
  if (end > 0 && f.src[end - 1] !== '\n') end = Math.min(lineEndOf(f.src, end) + 1, f.src.length);
  const lineStart = lineStartOf(f.src, keyStart);
  if (f.src.slice(lineStart, keyStart).trim() === '') return { start: lineStart, end, text: '' };
  // The first key of a list item (`- digest: ...`): the next line's content moves up after the dash.
  const next = /^ */.exec(f.src.slice(end))?.[0].length ?? 0;
  if (map.items.length < 2) {
    throw new SetImageError(
      'UnsupportedLayout',
      f.file,
      'cannot remove the only key of a list item',
    );
  }
  return { start: keyStart, end: end + next, text: '' };
}
