/**
 * Globs for branch, tag and path filters, as GitHub Actions' `on.push` reads them: `*` matches
 * within one path segment, `**` across segments (`docs/**` is everything under `docs/`, and
 * `**` followed by `/x` matches `x` at any depth), `?` one character, `[abc]` and `[!abc]` a
 * character class. In a list, a pattern starting with `!` excludes what the patterns before it
 * included: the last matching pattern decides, and a list of exclusions only starts from
 * "everything".
 *
 * @example
 * matchList(['release/**', '!release/old/*'], 'release/v2/rc1') // true
 */

/** A pattern that cannot be compiled (an unclosed `[`). */
export class GlobError extends Error {
  readonly pattern: string;
  constructor(pattern: string, why: string) {
    super(`glob "${pattern}": ${why}`);
    this.name = 'GlobError';
    this.pattern = pattern;
  }
}

const SPECIAL = /[.+^${}()|\\/]/;

function classAt(pattern: string, i: number): { re: string; end: number } {
  const close = pattern.indexOf(']', i + 2);
  if (close < 0) throw new GlobError(pattern, 'unclosed "["');
  let body = pattern.slice(i + 1, close);
  const negated = body.startsWith('!') || body.startsWith('^');
  if (negated) body = body.slice(1);
  const escaped = body.replace(/[\\\]^]/g, (c) => `\\${c}`);
  return { re: negated ? `[^/${escaped}]` : `[${escaped}]`, end: close };
}

function starAt(pattern: string, i: number): { re: string; end: number } {
  if (pattern[i + 1] !== '*') return { re: '[^/]*', end: i };
  // `**/` matches zero or more whole segments; a trailing or inner `**` anything.
  if (pattern[i + 2] === '/') return { re: '(?:.*/)?', end: i + 2 };
  return { re: '.*', end: i + 1 };
}

/** Compiles one glob (without its `!`) to an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      const s = starAt(pattern, i);
      re += s.re;
      i = s.end;
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const k = classAt(pattern, i);
      re += k.re;
      i = k.end;
    } else re += SPECIAL.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

interface Compiled {
  negated: boolean;
  re: RegExp;
}

const cache = new Map<string, Compiled>();

function compile(pattern: string): Compiled {
  let c = cache.get(pattern);
  if (!c) {
    const negated = pattern.startsWith('!');
    c = { negated, re: globToRegExp(negated ? pattern.slice(1) : pattern) };
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, c);
  }
  return c;
}

/** Throws a GlobError naming the first pattern of `patterns` that does not compile. */
export function checkGlobs(patterns: readonly string[]): void {
  for (const p of patterns) compile(p);
}

/** Does `value` pass the list? The last matching pattern decides (see the file's comment). */
export function matchList(patterns: readonly string[], value: string): boolean {
  const compiled = patterns.map(compile);
  let matched = compiled.every((c) => c.negated);
  for (const c of compiled) if (c.re.test(value)) matched = !c.negated;
  return matched;
}
