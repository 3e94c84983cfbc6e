/**
 * Turns YAML and JSON text into Kubernetes objects: multi-document YAML (empty and null
 * documents skipped), one JSON value per file, `kind: List` (and `*List` with `items`)
 * flattened. Every object must be a mapping with a string `apiVersion`, `kind` and
 * `metadata.name` (or `metadata.generateName`); anything else is a MalformedManifest that names
 * the file, the document (counted from 1) and the line. Duplicates are left alone: preflight
 * rejects them with every copy named.
 *
 * YAML is read as YAML 1.2 (the `yaml` package's core schema) with `<<` merge keys, so `yes` and
 * `on` stay strings and dates stay strings.
 */
import { type Document, isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { isRecord, type KubeObject } from '../kube/types.ts';
import { indent, RenderError } from './errors.ts';

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
}

const DEFAULT_HINT =
  'fix the manifest in Git: every object needs apiVersion, kind and metadata.name (or generateName)';

/** Where one document sits, for messages. */
interface DocPlace {
  label: string;
  file: string | undefined;
}

function malformed(message: string, place: DocPlace, opts: ParseOptions): RenderError {
  return new RenderError('MalformedManifest', message, {
    hint: opts.hint ?? DEFAULT_HINT,
    ...(place.file === undefined ? {} : { file: place.file }),
  });
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
  place: DocPlace,
  opts: ParseOptions,
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
  out.push(value as KubeObject);
}

/** `# Source: web/templates/x.yaml` before a Helm document, if there is one. */
function sourceOf(doc: Document.Parsed): string | undefined {
  const comments = [doc.commentBefore, doc.contents?.commentBefore];
  for (const c of comments) {
    const m = c?.match(/^\s*Source:\s*(\S+)/m);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

function yamlError(doc: Document.Parsed, n: number, opts: ParseOptions): RenderError | undefined {
  const err = doc.errors[0];
  if (!err) return undefined;
  const pos = err.linePos?.[0];
  // Lines count in files of the repository; in a tool's output they would only mislead.
  const where = pos && opts.file !== undefined ? `, line ${pos.line}:${pos.col}` : '';
  // The `yaml` package's message: a first line with its own position, then a code excerpt.
  const [first = '', ...excerpt] = err.message.split('\n');
  const what = first.replace(/ at line \d+, column \d+:?$/, '');
  const source = opts.sourceToFile ? sourceOf(doc) : undefined;
  const place = placeOf(n, opts, source);
  const snippet = excerpt.filter((l) => l.trim().length > 0).join('\n');
  return malformed(
    `${place.label}${where}: invalid YAML: ${what}${snippet ? `\n${indent(snippet)}` : ''}`,
    place,
    { ...opts, hint: opts.hint ?? 'fix the YAML syntax (indentation, quoting) in Git' },
  );
}

function placeOf(n: number, opts: ParseOptions, source: string | undefined): DocPlace {
  if (source !== undefined && opts.sourceToFile) {
    const file = opts.sourceToFile(source);
    return { label: `${file} (${opts.origin}, document ${n})`, file };
  }
  return { label: `${opts.origin} document ${n}`, file: opts.file };
}

/** The document's value; alias bombs (`&a [*b, *b, ...]`) are refused, not expanded. */
function toJS(doc: Document.Parsed, opts: ParseOptions, place: DocPlace): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw malformed(`${place.label}: cannot expand YAML aliases: ${why}`, place, opts);
  }
}

/**
 * Parses multi-document YAML into objects.
 *
 * @example parseYaml('kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n', { origin: 'a.yaml' })
 */
export function parseYaml(text: string, opts: ParseOptions): KubeObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), { lineCounter, merge: true });
  const out: KubeObject[] = [];
  const lineAt = (offset: number | undefined): string =>
    offset === undefined || opts.file === undefined
      ? ''
      : ` (line ${lineCounter.linePos(offset).line})`;
  Array.from(docs).forEach((doc, i) => {
    const n = i + 1;
    const error = yamlError(doc, n, opts);
    if (error) throw error;
    const base = placeOf(n, opts, opts.sourceToFile ? sourceOf(doc) : undefined);
    const value = toJS(doc, opts, base);
    if (value === null || value === undefined) return; // empty or `~` document
    const place = { ...base, label: `${base.label}${lineAt(doc.contents?.range[0])}` };
    const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
    const itemLine = (k: number): string =>
      isSeq(items) ? lineAt((items.items[k] as { range?: [number] } | undefined)?.range?.[0]) : '';
    collect(value, place, opts, out, itemLine);
  });
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
  const clean = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(clean);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(message)?.[1];
    const where = pos === undefined ? '' : `, line ${lineCol(clean, Number(pos))}`;
    const place = { label: opts.origin, file: opts.file };
    throw malformed(`${opts.origin}${where}: invalid JSON: ${message}`, place, {
      ...opts,
      hint: opts.hint ?? 'fix the JSON syntax in Git',
    });
  }
  const out: KubeObject[] = [];
  if (value === null) return out; // like a `~` YAML document
  collect(value, { label: opts.origin, file: opts.file }, opts, out, () => '');
  return out;
}
