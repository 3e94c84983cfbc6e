/**
 * Key paths into YAML values, as Helm's `--set` writes them: `image.tag`, `app.images[0].tag`,
 * and `\.` for a dot inside a key (`podAnnotations.prometheus\.io/scrape`).
 */
import { SetImageError } from './errors.ts';

export type PathSegment = string | number;

function bad(path: string, why: string): SetImageError {
  return new SetImageError('InvalidKeyPath', '', `key path "${path}": ${why}`, {
    hint: 'write keys separated by dots, list positions as [n]: image.tag, images[0].tag',
  });
}

/** Reads `[n]` at `path[i]`; returns the position and the offset of the closing bracket. */
function listIndex(path: string, i: number): { n: number; close: number } {
  const close = path.indexOf(']', i);
  const n = Number(path.slice(i + 1, close));
  if (close < 0 || !Number.isInteger(n) || n < 0) throw bad(path, 'a bad list position');
  return { n, close };
}

/** Splits a dotted key path; throws InvalidKeyPath. */
export function parseKeyPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let current = '';
  // A key must come next: at the start and after a dot.
  let pendingKey = true;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\' && path[i + 1] === '.') {
      current += '.';
      i++;
    } else if (c === '.') {
      if (pendingKey && current === '') throw bad(path, 'an empty key');
      if (current !== '') out.push(current);
      current = '';
      pendingKey = true;
    } else if (c === '[') {
      const { n, close } = listIndex(path, i);
      if (current !== '') out.push(current);
      out.push(n);
      current = '';
      pendingKey = false;
      i = close;
    } else {
      current += c;
      pendingKey = true;
    }
  }
  if (current !== '') out.push(current);
  else if (pendingKey) throw bad(path, out.length === 0 ? 'empty' : 'ends with a dot');
  return out;
}

/** The path as text again: `images[0].tag`. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  return path
    .map((s, i) =>
      typeof s === 'number' ? `[${s}]` : `${i === 0 ? '' : '.'}${s.replace(/\./g, '\\.')}`,
    )
    .join('');
}
