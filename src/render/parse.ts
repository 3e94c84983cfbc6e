/**
 * Turns YAML and JSON text into Kubernetes objects: multi-document YAML (empty and null
 * documents skipped), one JSON value per file, `kind: List` (and `*List` with `items`)
 * flattened. Every object must be a mapping with a string `apiVersion`, `kind` and
 * `metadata.name` (or `metadata.generateName`); anything else is a MalformedManifest that names
 * the file, the document (counted from 1) and the line. Duplicates are left alone: preflight
 * rejects them with every copy named.
 *
 * YAML is read as YAML 1.2 (the `yaml` package's core schema) with `<<` merge keys, so `yes` and
 * `on` stay strings and dates stay strings. Every text, document and object is charged to the
 * render's budget (limits.ts) before it is built: too big a text, too many aliases or objects
 * is a RenderLimitError naming the file, not an out-of-memory controller.
 */
import { Composer, type Document, isMap, isSeq, LineCounter, Parser } from 'yaml';
import { isRecord, type KubeObject } from '../kube/types.ts';
import type { RenderError } from './errors.ts';
import { type Place, RenderBudget } from './limits.ts';
import { CyclicAliasError, type Measure, measureDocument } from './measure.ts';
import { malformed as malformedAt, placeOf, yamlError } from './yamlplace.ts';

export interface ParseOptions {
  /** Names the text in messages: a path relative to the repository root, or a tool's output. */
  origin: string;
  /** RenderError.file for problems in this text, when it is one file of the repository. */
  file?: string;
  /**
   * Helm output: documents start with `# Source: <chart>/templates/x.yaml`. Given, each
   * document is named after its source, and errors point at `sourceToFile(source)`.
   */
  sourceToFile?: (source: string) => string;
  /** Hint for MalformedManifest errors (what the user should fix). */
  hint?: string;
  /** The render's limits and totals so far (default: a fresh budget with the default limits). */
  budget?: RenderBudget;
}

const DEFAULT_HINT =
  'fix the manifest in Git: every object needs apiVersion, kind and metadata.name (or generateName)';

const ALIAS_HINT =
  'fix the YAML anchors and aliases in Git: an alias (*name) must refer to an anchor (&name) defined before it in the same document, outside the node that holds the alias';

function malformed(message: string, place: Place, opts: ParseOptions): RenderError {
  return malformedAt(message, place, opts.hint ?? DEFAULT_HINT);
}

/** What is wrong with one would-be object, or [] when nothing is. */
export function objectProblems(value: unknown): string[] {
  if (!isRecord(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a sequence' : typeof value;
    return [`is ${what}, not a mapping (an object needs apiVersion, kind and metadata)`];
  }
  const problems: string[] = [];
  if (typeof value['apiVersion'] !== 'string' || value['apiVersion'] === '')
    problems.push('`apiVersion` is missing or not a string');
  if (typeof value['kind'] !== 'string' || value['kind'] === '')
    problems.push('`kind` is missing or not a string');
  const meta = value['metadata'];
  if (!isRecord(meta)) {
    problems.push('`metadata` is missing or not a mapping');
  } else {
    const named = typeof meta['name'] === 'string' && meta['name'] !== '';
    const generated = typeof meta['generateName'] === 'string' && meta['generateName'] !== '';
    if (!named && !generated)
      problems.push('`metadata.name` (or `metadata.generateName`) is missing or not a string');
  }
  return problems;
}

/** True for `kind: List` and `FooList` kinds that carry an `items` array. */
function isList(value: Record<string, unknown>): boolean {
  const kind = value['kind'];
  if (typeof kind !== 'string') return false;
  if (kind === 'List') return true;
  return kind.endsWith('List') && Array.isArray(value['items']);
}

/** `name`, kind and apiVersion of what was found, to help a person spot it. */
function describeFound(value: unknown): string {
  if (!isRecord(value)) return '';
  const meta = isRecord(value['metadata']) ? value['metadata'] : {};
  const parts = [value['kind'], meta['name'] ?? meta['generateName']].filter(
    (p): p is string => typeof p === 'string',
  );
  return parts.length > 0 ? ` (found ${parts.join(' ')})` : '';
}

/**
 * Validates one document's value and flattens Lists into `out`. `itemLine(i)` gives the line of
 * a List's item i, when known.
 */
function collect(
  value: unknown,
  place: Place,
  opts: ParseOptions & { budget: RenderBudget },
  out: KubeObject[],
  itemLine: (i: number) => string,
): void {
  if (isRecord(value) && isList(value)) {
    const items = value['items'];
    if (items === null || items === undefined) return; // an empty List
    if (!Array.isArray(items))
      throw malformed(
        `${place.label}: a ${String(value['kind'])} whose items is not a sequence`,
        place,
        opts,
      );
    items.forEach((item: unknown, i) => {
      const itemPlace = { ...place, label: `${place.label}, item ${i + 1}${itemLine(i)}` };
      collect(item, itemPlace, opts, out, () => '');
    });
    return;
  }
  const problems = objectProblems(value);
  if (problems.length > 0) {
    throw malformed(`${place.label}${describeFound(value)}: ${problems.join('; ')}`, place, opts);
  }
  opts.budget.object(place);
  out.push(value as KubeObject);
}

/** The document's value, once its expanded size is known to fit the budget. */
function toJS(
  doc: Document.Parsed,
  place: Place,
  opts: ParseOptions,
  budget: RenderBudget,
): unknown {
  let measured: Measure;
  try {
    measured = measureDocument(doc);
  } catch (err) {
    if (err instanceof CyclicAliasError)
      throw malformedAt(`${place.label}: ${err.message}`, place, ALIAS_HINT);
    if (err instanceof RangeError)
      throw malformed(`${place.label}: nested too deeply to read`, place, opts);
    throw err;
  }
  budget.document(place, measured);
  try {
    // The budget bounds the expansion; the package's own alias count would only disagree.
    return doc.toJS({ maxAliasCount: -1 }) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw malformedAt(`${place.label}: cannot expand YAML aliases: ${why}`, place, ALIAS_HINT);
  }
}

/**
 * Parses multi-document YAML into objects, one document at a time: each is measured (aliases
 * expanded) and charged to the budget before it becomes objects, so a text that would expand
 * past the render's limits is refused before the memory is spent.
 *
 * @example parseYaml('kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n', { origin: 'a.yaml' })
 */
export function parseYaml(text: string, opts: ParseOptions): KubeObject[] {
  const budget = opts.budget ?? new RenderBudget();
  budget.text({ label: opts.origin, file: opts.file }, Buffer.byteLength(text, 'utf8'));
  const clean = text.replace(/^\uFEFF/, '');
  const lines = new LineCounter();
  const docs = new Composer({ merge: true }).compose(new Parser(lines.addNewLine).parse(clean));
  const out: KubeObject[] = [];
  const lineAt = (offset: number | undefined): string =>
    offset === undefined || opts.file === undefined ? '' : ` (line ${lines.linePos(offset).line})`;
  let n = 0;
  for (const doc of docs) {
    n++;
    const error = yamlError(doc, n, clean, lines, opts);
    if (error) throw error;
    const base = placeOf(doc, n, opts);
    const value = toJS(doc, base, opts, budget);
    if (value === null || value === undefined) continue; // empty or `~` document
    const place = { ...base, label: `${base.label}${lineAt(doc.contents?.range[0])}` };
    const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
    const itemLine = (k: number): string =>
      isSeq(items) ? lineAt((items.items[k] as { range?: [number] } | undefined)?.range?.[0]) : '';
    collect(value, place, { ...opts, budget }, out, itemLine);
  }
  return out;
}

/** Line and column (from 1) of a character offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Parses a JSON file holding one object (or one List).
 *
 * @example parseJson('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}', { origin: 'a.json' })
 */
export function parseJson(text: string, opts: ParseOptions): KubeObject[] {
  const budget = opts.budget ?? new RenderBudget();
  const whole = { label: opts.origin, file: opts.file };
  const bytes = Buffer.byteLength(text, 'utf8');
  budget.text(whole, bytes);
  budget.document(whole, { bytes, aliases: 0 }); // JSON has no aliases: it is as big as it reads
  const clean = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(clean);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(message)?.[1];
    const where = pos === undefined ? '' : `, line ${lineCol(clean, Number(pos))}`;
    throw malformed(`${opts.origin}${where}: invalid JSON: ${message}`, whole, {
      ...opts,
      hint: opts.hint ?? 'fix the JSON syntax in Git',
    });
  }
  const out: KubeObject[] = [];
  if (value === null) return out; // like a `~` YAML document
  collect(value, whole, { ...opts, budget }, out, () => '');
  return out;
}
