/**
 * Scalars as policies compare them: wildcards (`*` any run, `?` one character), Kubernetes
 * quantities (`100Mi`, `500m`, `1e3`), Go-style durations (`1h30m`, `250ms`) and semantic
 * versions. `compareScalars` orders two values the way a policy author means them: as
 * durations when both sides are durations, else as quantities (plain numbers included), else
 * as versions; strings that are none of these do not compare.
 */
import { compareVersions, parseVersion } from '../delivery/images/semver.ts';

const wildcardCache = new Map<string, RegExp>();

export const hasWildcard = (s: string): boolean => s.includes('*') || s.includes('?');

/** A wildcard pattern as an anchored regular expression (compiled once per pattern). */
export function wildcardRegExp(pattern: string): RegExp {
  let re = wildcardCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    if (wildcardCache.size > 10_000) wildcardCache.clear();
    wildcardCache.set(pattern, re);
  }
  return re;
}

/** Whether `text` matches the wildcard `pattern`; without wildcards this is string equality. */
export function wildcardMatch(pattern: string, text: string): boolean {
  return hasWildcard(pattern) ? wildcardRegExp(pattern).test(text) : pattern === text;
}

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** A Kubernetes quantity (`100Mi`, `0.5`, `250m`, `1e3`) as a number, or undefined. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (m[2] !== undefined) return Number(`${m[1]}${m[2]}`);
  const suffix = m[3] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

const DURATION_UNIT: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 60e3,
  h: 3600e3,
};
const DURATION = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** A Go duration (`1h30m`, `300ms`, `-1.5h`, `0`) in milliseconds, or undefined. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '0') return 0;
  if (!DURATION.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(DURATION_PART)) {
    total += Number(m[1]) * (DURATION_UNIT[m[2] ?? 'ms'] ?? 1);
  }
  return s.startsWith('-') ? -total : total;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Orders a against b (-1, 0, 1); undefined when they are not comparable. */
export function compareScalars(a: unknown, b: unknown): number | undefined {
  const da = parseDuration(a);
  const db = parseDuration(b);
  if (da !== undefined && db !== undefined) return sign(da - db);
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  if (qa !== undefined && qb !== undefined) return sign(qa - qb);
  if (typeof a === 'string' && typeof b === 'string') {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (va !== undefined && vb !== undefined) return sign(compareVersions(va, vb));
  }
  return undefined;
}

/** Whether a string can stand on one side of `>`, `<` or a range. */
export const isComparable = (s: string): boolean =>
  parseQuantity(s) !== undefined || parseDuration(s) !== undefined || parseVersion(s) !== undefined;

/** A value as text for wildcard matching (numbers and booleans as JSON writes them). */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
