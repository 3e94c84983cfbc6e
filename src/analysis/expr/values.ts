/**
 * Helpers on condition values: their type names in messages, equality, safe field reads and
 * how a value is printed in a measurement ("[0.91]", "NaN").
 */
import type { Value, ValueObject } from './ast.ts';

export function isObject(v: Value): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isArray(v: Value): v is readonly Value[] {
  return Array.isArray(v);
}

/** `nil`, `bool`, `number`, `string`, `array`, `map`: as conditions' authors call them. */
export function typeName(v: Value): string {
  if (v === null) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'map' : typeof v;
}

/**
 * A field of a map, read as data: only the map's own keys count, so `__proto__`,
 * `constructor` or `toString` are just missing keys unless the data really has them.
 */
export function ownField(obj: ValueObject, key: string): Value | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function valueEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isArray(a))
    return isArray(b) && a.length === b.length && a.every((v, i) => valueEqual(v, b[i] ?? null));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && valueEqual(a[k] ?? null, b[k] ?? null))
    );
  }
  return false;
}

/** JSON, except the numbers JSON cannot spell; long values are cut at `max` characters. */
export function formatValue(v: Value, max = 200, digits?: number): string {
  const text = formatInner(v, digits);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A number as people read it: `digits` significant digits (0.4406779661 → 0.4407 at 4). */
function formatNumber(n: number, digits: number | undefined): string {
  if (!Number.isFinite(n)) return formatSpecial(n);
  if (digits === undefined || Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(digits)));
}

function formatInner(v: Value, digits?: number): string {
  if (typeof v === 'number') return formatNumber(v, digits);
  if (isArray(v)) return `[${v.map((x) => formatInner(x, digits)).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${formatInner(v[k] ?? null, digits)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function formatSpecial(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/**
 * Turns anything JSON.parse produced (or a provider built) into a Value; other things
 * (functions, undefined, symbols) become nil, so nothing but data reaches a condition.
 */
export function toValue(v: unknown, depth = 0): Value {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string')
    return v;
  if (depth > 100) return null;
  if (Array.isArray(v)) return v.map((x) => toValue(x, depth + 1));
  if (typeof v === 'object') {
    const out: Record<string, Value> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(out, k, {
        value: toValue((v as Record<string, unknown>)[k], depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return null;
}
