/**
 * Semantic versions and ranges as Flux's semver policy reads them (the Masterminds rules):
 * tags like `v1.2.3`, `1.2` or `1.2.3-rc.1+build`; ranges like `>=1.0.0 <2.0.0`, `1.2.x`, `~1.2`,
 * `^1.4`, `1.2 - 1.4`, `>1.0, <3 || 5.x`. A pre-release version matches only a range that names a
 * pre-release itself (`^1.x-0`), so release candidates are never picked by accident.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version a tag stands for, or undefined when it is not one. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const pre = m[4] !== undefined ? m[4].split('.') : [];
  if (pre.some((p) => p === '' || (/^\d+$/.test(p) && p.length > 1 && p.startsWith('0'))))
    return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre };
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Semver precedence: negative when a < b. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}

type Op = '>=' | '>' | '<' | '<=' | '=' | '!=';
interface Bound {
  op: Op;
  v: Version;
}
/** A range: any of its groups (`||`), each the AND of its bounds. */
export interface Range {
  groups: Array<{ bounds: Bound[]; pre: boolean }>;
}

export class SemverRangeError extends Error {
  override name = 'SemverRangeError';
}

const ver = (major: number, minor = 0, patch = 0, pre: string[] = []): Version => ({
  major,
  minor,
  patch,
  pre,
});

/** A version as written in a range: the parts given (a wildcard or a missing part ends them). */
interface Partial3 {
  parts: number[];
  pre: string[];
}

const PARTIAL =
  /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function partial(text: string): Partial3 {
  const m = PARTIAL.exec(text);
  if (!m) throw new SemverRangeError(`"${text}" is not a version`);
  const parts: number[] = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /[xX*]/.test(p)) break;
    parts.push(Number(p));
  }
  return { parts, pre: m[4] !== undefined ? m[4].split('.') : [] };
}

const floor = (p: Partial3): Version =>
  ver(p.parts[0] ?? 0, p.parts[1] ?? 0, p.parts[2] ?? 0, p.pre);

/**
 * An exclusive upper bound: below the lowest pre-release of `v` (`<2.0.0-0`), so `^1.x-0` does not
 * reach 2.0.0's release candidates.
 */
const below = (major: number, minor = 0, patch = 0): Version => ver(major, minor, patch, ['0']);

/** The first version above all that `p` stands for: 1 -> 2.0.0-0, 1.2 -> 1.3.0-0. */
function ceiling(p: Partial3): Version {
  const [a = 0, b = 0] = p.parts;
  return p.parts.length === 1 ? below(a + 1) : below(a, b + 1);
}

/** `^`: changes that do not modify the left-most non-zero part. */
function caret(p: Partial3): Bound[] {
  const [a = 0, b = 0, c = 0] = p.parts;
  if (p.parts.length === 0) return [];
  const lo: Bound = { op: '>=', v: floor(p) };
  if (a > 0 || p.parts.length === 1) return [lo, { op: '<', v: below(a + 1) }];
  if (b > 0 || p.parts.length === 2) return [lo, { op: '<', v: below(0, b + 1) }];
  return [lo, { op: '<', v: below(0, 0, c + 1) }];
}

/** `~`: patch changes when a minor is given, minor changes when not. */
function tilde(p: Partial3): Bound[] {
  if (p.parts.length === 0) return [];
  const [a = 0, b = 0] = p.parts;
  return [
    { op: '>=', v: floor(p) },
    { op: '<', v: p.parts.length === 1 ? below(a + 1) : below(a, b + 1) },
  ];
}

/** A wildcard or partial version: everything it stands for. */
function within(p: Partial3): Bound[] {
  if (p.parts.length === 0) return [];
  return [
    { op: '>=', v: floor(p) },
    { op: '<', v: ceiling(p) },
  ];
}

const exact = (p: Partial3): boolean => p.parts.length === 3;
const any = (p: Partial3): boolean => p.parts.length === 0;

/** Each operator's bounds for a version as written (partial, wildcard or whole). */
const OPERATORS: Record<string, (p: Partial3) => Bound[]> = {
  '^': caret,
  '~': tilde,
  '~>': tilde,
  '>=': (p) => (any(p) ? [] : [{ op: '>=', v: floor(p) }]),
  '<': (p) => (any(p) ? [] : [{ op: '<', v: floor(p) }]),
  '>': (p) => {
    if (exact(p)) return [{ op: '>', v: floor(p) }];
    return any(p) ? [] : [{ op: '>=', v: ceiling(p) }];
  },
  '<=': (p) => {
    if (exact(p)) return [{ op: '<=', v: floor(p) }];
    return any(p) ? [] : [{ op: '<', v: ceiling(p) }];
  },
  '!=': (p) => {
    if (!exact(p)) throw new SemverRangeError('!= needs a whole version (1.2.3)');
    return [{ op: '!=', v: floor(p) }];
  },
  '=': (p) => (exact(p) ? [{ op: '=', v: floor(p) }] : within(p)),
};
OPERATORS['=<'] = OPERATORS['<='] as (p: Partial3) => Bound[];

/** One comparison (`>=1.2`, `^1.4`, `1.2.x`, `!=1.3.1`) as bounds. */
function bounds(op: string, p: Partial3): Bound[] {
  const fn = OPERATORS[op];
  if (!fn) throw new SemverRangeError(`unknown operator "${op}"`);
  return fn(p);
}

const COMPARISON = /^(\^|~>|~|>=|<=|=<|!=|>|<|=)?\s*(\S+)$/;

function group(text: string): { bounds: Bound[]; pre: boolean } {
  // `1.2 - 1.4.5`: inclusive; a partial upper end covers all it stands for.
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text.trim());
  if (hyphen) {
    const lo = partial(hyphen[1] ?? '');
    const hi = partial(hyphen[2] ?? '');
    return {
      bounds: [...bounds('>=', lo), ...bounds('<=', hi)],
      pre: lo.pre.length > 0 || hi.pre.length > 0,
    };
  }
  const out: Bound[] = [];
  let pre = false;
  // Comparisons are separated by commas or spaces; an operator may stand apart: `>= 1.2`.
  const words = text.replace(/(\^|~>|~|>=|<=|=<|!=|>|<|=)\s+/g, '$1').split(/[\s,]+/);
  for (const word of words.filter((w) => w !== '')) {
    const m = COMPARISON.exec(word);
    if (!m) throw new SemverRangeError(`cannot read "${word}"`);
    const p = partial(m[2] ?? '');
    pre ||= p.pre.length > 0;
    out.push(...bounds(m[1] ?? '=', p));
  }
  return { bounds: out, pre };
}

/**
 * Parses a range; throws SemverRangeError.
 *
 * @example
 * satisfies(parseVersion('1.2.7')!, parseRange('>=1.2 <1.3'))  // true
 */
export function parseRange(text: string): Range {
  if (text.trim() === '') throw new SemverRangeError('the range is empty');
  return { groups: text.split('||').map(group) };
}

function holds(b: Bound, x: Version): boolean {
  const c = compareVersions(x, b.v);
  if (b.op === '>=') return c >= 0;
  if (b.op === '>') return c > 0;
  if (b.op === '<') return c < 0;
  if (b.op === '<=') return c <= 0;
  if (b.op === '=') return c === 0;
  return c !== 0;
}

/** Whether `x` is in the range (a pre-release only when its group names one). */
export function satisfies(x: Version, range: Range): boolean {
  return range.groups.some(
    (g) => (x.pre.length === 0 || g.pre) && g.bounds.every((b) => holds(b, x)),
  );
}
