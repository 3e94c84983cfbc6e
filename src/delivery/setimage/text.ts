/**
 * Edits as byte ranges of the original text. The YAML document API finds where a value is; the
 * change itself is spliced into the source, so comments, blank lines, quoting, indentation and
 * flow or block style everywhere else stay exactly as they were, and a diff shows only the
 * value that changed.
 */
import { parse, Scalar } from 'yaml';

/** Replace `src[start, end)` with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (in any order) to `src`. */
export function applyEdits(src: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = src;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) throw new Error(`overlapping edits at ${e.start}-${e.end}`);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/** Offset of the first character of the line holding `offset`. */
export function lineStartOf(src: string, offset: number): number {
  return src.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset of the newline ending the line holding `offset` (or the end of the text). */
export function lineEndOf(src: string, offset: number): number {
  const nl = src.indexOf('\n', offset);
  return nl < 0 ? src.length : nl;
}

/** Column (0-based) of `offset`. */
export function columnOf(src: string, offset: number): number {
  return offset - lineStartOf(src, offset);
}

/** A plain scalar reads back as this very string (not a number, bool, null, date or broken text). */
function plainSafe(value: string, inFlow: boolean): boolean {
  if (value === '' || /[\n\r\t]/.test(value) || value !== value.trim()) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(value) || / #|: |:$/.test(value)) return false;
  if (inFlow && /[,[\]{}]/.test(value)) return false;
  try {
    // Both YAML versions: Helm's parser reads `yes`, `on` or `0777` the 1.1 way.
    return parse(value) === value && parse(value, { version: '1.1' }) === value;
  } catch {
    return false;
  }
}

const doubleQuoted = (value: string): string => JSON.stringify(value);

/**
 * How `value` is written where a scalar of `style` was: the same quoting when it can hold the
 * value, double quotes when a plain scalar would read back as something else (`1.10` would be a
 * number) or a block scalar was there.
 */
export function renderScalar(value: string, style: Scalar['type'], inFlow: boolean): string {
  if (style === Scalar.QUOTE_SINGLE && !/[\n\r]/.test(value))
    return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE) return doubleQuoted(value);
  return plainSafe(value, inFlow) ? value : doubleQuoted(value);
}
