/**
 * Where a YAML document sits and how its syntax errors read: the label a message starts with
 * (`apps/web/cm.yaml document 2`, or a Helm template's path), the file at fault, and the
 * `yaml` package's error turned into `line 9:9: invalid YAML: <what>` with the line quoted and
 * a caret under the column. Documents are parsed one at a time (parse.ts), so the position is
 * worked out here from the line counter rather than by the package's all-at-once parser.
 */
import type { Document, LineCounter } from 'yaml';
import { indent, RenderError } from './errors.ts';
import type { Place } from './limits.ts';

export interface PlaceOptions {
  origin: string;
  file?: string;
  sourceToFile?: (source: string) => string;
  hint?: string;
}

/** `# Source: web/templates/x.yaml` before a Helm document, if there is one. */
export function sourceOf(doc: Document.Parsed): string | undefined {
  const comments = [doc.commentBefore, doc.contents?.commentBefore];
  for (const c of comments) {
    const m = c?.match(/^\s*Source:\s*(\S+)/m);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** The place of document `n` (from 1). */
export function placeOf(doc: Document.Parsed, n: number, opts: PlaceOptions): Place {
  const source = opts.sourceToFile ? sourceOf(doc) : undefined;
  if (source !== undefined && opts.sourceToFile) {
    const file = opts.sourceToFile(source);
    return { label: `${file} (${opts.origin}, document ${n})`, file };
  }
  return { label: `${opts.origin} document ${n}`, file: opts.file };
}

/** A MalformedManifest about one place. */
export function malformed(message: string, place: Place, hint: string): RenderError {
  return new RenderError('MalformedManifest', message, {
    hint,
    ...(place.file === undefined ? {} : { file: place.file }),
  });
}

const WIDTH = 80;

/** The source line at `offset`, trimmed to the screen around the column, and a caret under it. */
export function excerpt(text: string, lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  const start = lines.lineStarts[line - 1] ?? 0;
  const end = lines.lineStarts[line] ?? text.length;
  let shown = text.slice(start, end).replace(/[\n\r]+$/, '');
  let at = col - 1;
  if (shown.length > WIDTH && at > WIDTH / 2) {
    const cut = Math.min(at - WIDTH / 2, shown.length - WIDTH);
    shown = `…${shown.slice(cut + 1)}`;
    at -= cut;
  }
  if (shown.length > WIDTH) shown = `${shown.slice(0, WIDTH - 1)}…`;
  if (shown.trim() === '') return '';
  return `${shown}\n${' '.repeat(at)}^`;
}

/** The document's first syntax error as a MalformedManifest, or undefined when it has none. */
export function yamlError(
  doc: Document.Parsed,
  n: number,
  text: string,
  lines: LineCounter,
  opts: PlaceOptions,
): RenderError | undefined {
  const err = doc.errors[0];
  if (!err) return undefined;
  const offset = err.pos[0];
  const { line, col } = lines.linePos(Math.max(0, offset));
  // Lines count in files of the repository; in a tool's output they would only mislead.
  const where = offset >= 0 && opts.file !== undefined ? `, line ${line}:${col}` : '';
  const what = err.message.split('\n')[0] ?? '';
  const place = placeOf(doc, n, opts);
  const snippet = offset >= 0 ? excerpt(text, lines, offset) : '';
  return malformed(
    `${place.label}${where}: invalid YAML: ${what}${snippet ? `\n${indent(snippet)}` : ''}`,
    place,
    opts.hint ?? 'fix the YAML syntax (indentation, quoting) in Git',
  );
}
