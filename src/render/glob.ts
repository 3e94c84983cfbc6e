/**
 * The glob dialect of `spec.source.directory.include` / `exclude`, as Argo CD matches them
 * (gobwas/glob compiled without separators) against a file's path relative to the app path:
 *
 * - `*` any run of characters, `/` included, so `*.yaml` also matches `sub/a.yaml`;
 *   `**` means the same;
 * - `?` one character; `[abc]`, `[a-z]`, `[!abc]` one character of (or not of) a set;
 * - `{a.yaml,b.json}` one of the alternatives, which may hold wildcards themselves;
 * - `\x` the character x itself.
 *
 * The whole path must match. An unclosed `[` or `{` stands for itself.
 */

const SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegExp(s: string): string {
  return s.replace(SPECIAL, '\\$&');
}

/** Index of the `]` closing the class opened at `start`, or -1. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '!' || p[i] === '^') i++;
  if (p[i] === ']') i++; // a leading ] is a member
  for (; i < p.length; i++) if (p[i] === ']') return i;
  return -1;
}

/** Index of the `}` closing the group opened at `start`, or -1. */
function braceEnd(p: string, start: number): number {
  let depth = 0;
  for (let i = start; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function classSource(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
  return `[${negated ? '^' : ''}${members}]`;
}

/** The RegExp source of `p`; `inBraces` turns top-level commas into alternation. */
function compile(p: string, inBraces: boolean): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] ?? '';
    if (c === '\\' && i + 1 < p.length) {
      out += escapeRegExp(p[++i] ?? '');
    } else if (c === '*') {
      while (p[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[' && classEnd(p, i) > 0) {
      const end = classEnd(p, i);
      out += classSource(p.slice(i + 1, end));
      i = end;
    } else if (c === '{' && braceEnd(p, i) > 0) {
      const end = braceEnd(p, i);
      out += `(?:${compile(p.slice(i + 1, end), true)})`;
      i = end;
    } else if (c === ',' && inBraces) {
      out += '|';
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

/**
 * Compiles a glob into an anchored RegExp.
 *
 * @example globToRegExp('{a.yaml,b.json}').test('b.json') // true
 */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${compile(pattern, false)}$`, 's');
}

/**
 * True when `path` (POSIX separators, relative to the app path) matches `pattern`.
 *
 * @example matchGlob('*.yaml', 'nested/deploy.yaml') // true: `*` crosses `/`, as in Argo CD
 */
export function matchGlob(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}
