/**
 * The functions a condition may call, after the ones Argo Rollouts' conditions use: `len`,
 * `abs`, `isNaN`, `isInf`, `isNil`, `default`, `asInt`, `asFloat`, the predicates `all`, `any`,
 * `none`, `one`, `filter`, `map`, `count`, `find`, and a few helpers (`min`, `max`, `sum`,
 * `mean`, `first`, `last`, `floor`, `ceil`, `round`, `lower`, `upper`, `trim`).
 *
 * Each function checks its arguments and fails with an ExprEvalError naming the function.
 */
import type { Value } from './ast.ts';
import { ExprEvalError } from './errors.ts';
import { isArray, isObject, typeName } from './values.ts';

export interface PlainBuiltin {
  kind: 'plain';
  min: number;
  max: number;
  call(args: readonly Value[], pos: number): Value;
}

/** `all(list, {# > 0})`: the second argument is evaluated per element. */
export interface PredicateBuiltin {
  kind: 'predicate';
  /** Whether the predicate must answer true/false (all but `map`). */
  boolean: boolean;
  call(items: readonly Value[], test: (item: Value) => Value, pos: number): Value;
}

/** `default(x, d)`: evaluated by the evaluator itself, so a missing `x` can fall back. */
export interface DefaultBuiltin {
  kind: 'default';
  min: 2;
  max: 2;
}

export type Builtin = PlainBuiltin | PredicateBuiltin | DefaultBuiltin;

const bad = (fn: string, want: string, got: Value, pos: number): ExprEvalError =>
  new ExprEvalError('BadArgument', `${fn}() needs ${want}, got ${typeName(got)}`, pos);

function num(fn: string, v: Value | undefined, pos: number): number {
  if (typeof v !== 'number') throw bad(fn, 'a number', v ?? null, pos);
  return v;
}

function numbers(fn: string, v: Value | undefined, pos: number): number[] {
  if (!isArray(v ?? null)) throw bad(fn, 'an array of numbers', v ?? null, pos);
  return (v as readonly Value[]).map((x) => num(fn, x, pos));
}

function str(fn: string, v: Value | undefined, pos: number): string {
  if (typeof v !== 'string') throw bad(fn, 'a string', v ?? null, pos);
  return v;
}

const plain = (min: number, max: number, call: PlainBuiltin['call']): PlainBuiltin => ({
  kind: 'plain',
  min,
  max,
  call,
});

const unaryNum = (fn: string, f: (n: number) => Value): PlainBuiltin =>
  plain(1, 1, ([v], pos) => f(num(fn, v, pos)));

function len([v]: readonly Value[], pos: number): Value {
  if (typeof v === 'string') return [...v].length;
  if (isArray(v ?? null)) return (v as readonly Value[]).length;
  if (isObject(v ?? null)) return Object.keys(v as object).length;
  throw bad('len', 'an array, a map or a string', v ?? null, pos);
}

/** Argo's asInt: numbers are truncated, strings must spell an integer. */
function asInt([v]: readonly Value[], pos: number): Value {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw bad('asInt', 'a finite number', v, pos);
    return Math.trunc(v);
  }
  const s = str('asInt', v, pos).trim();
  if (!/^[+-]?[0-9]+$/.test(s))
    throw new ExprEvalError('BadArgument', `asInt(): ${JSON.stringify(s)} is not an integer`, pos);
  return Number(s);
}

/** Argo's asFloat: numbers as they are, strings parsed (`NaN`, `+Inf` included). */
function asFloat([v]: readonly Value[], pos: number): Value {
  if (typeof v === 'number') return v;
  const s = str('asFloat', v, pos).trim();
  const special: Record<string, number> = {
    NaN: NaN,
    Inf: Infinity,
    '+Inf': Infinity,
    '-Inf': -Infinity,
  };
  if (Object.hasOwn(special, s)) return special[s] ?? NaN;
  const n = s === '' ? NaN : Number(s);
  if (Number.isNaN(n))
    throw new ExprEvalError('BadArgument', `asFloat(): ${JSON.stringify(s)} is not a number`, pos);
  return n;
}

function aggregate(fn: string, f: (ns: number[]) => number): PlainBuiltin {
  return plain(1, Infinity, (args, pos) => {
    const ns =
      args.length === 1 && isArray(args[0] ?? null)
        ? numbers(fn, args[0], pos)
        : args.map((a) => num(fn, a, pos));
    if (ns.length === 0) throw new ExprEvalError('BadArgument', `${fn}() of no numbers`, pos);
    return f(ns);
  });
}

function end(fn: string, pick: (items: readonly Value[]) => Value | undefined): PlainBuiltin {
  return plain(1, 1, ([v], pos) => {
    if (!isArray(v ?? null)) throw bad(fn, 'an array', v ?? null, pos);
    return pick(v as readonly Value[]) ?? null;
  });
}

const predicate = (boolean: boolean, call: PredicateBuiltin['call']): PredicateBuiltin => ({
  kind: 'predicate',
  boolean,
  call,
});

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['len', plain(1, 1, len)],
  ['abs', unaryNum('abs', Math.abs)],
  ['isNaN', unaryNum('isNaN', Number.isNaN)],
  ['isInf', unaryNum('isInf', (n) => n === Infinity || n === -Infinity)],
  ['isNil', plain(1, 1, ([v]) => v === null)],
  ['default', { kind: 'default', min: 2, max: 2 }],
  ['asInt', plain(1, 1, asInt)],
  ['asFloat', plain(1, 1, asFloat)],
  ['floor', unaryNum('floor', Math.floor)],
  ['ceil', unaryNum('ceil', Math.ceil)],
  ['round', unaryNum('round', Math.round)],
  ['min', aggregate('min', (ns) => Math.min(...ns))],
  ['max', aggregate('max', (ns) => Math.max(...ns))],
  ['sum', aggregate('sum', (ns) => ns.reduce((a, b) => a + b, 0))],
  ['mean', aggregate('mean', (ns) => ns.reduce((a, b) => a + b, 0) / ns.length)],
  ['first', end('first', (items) => items[0])],
  ['last', end('last', (items) => items[items.length - 1])],
  ['lower', plain(1, 1, ([v], pos) => str('lower', v, pos).toLowerCase())],
  ['upper', plain(1, 1, ([v], pos) => str('upper', v, pos).toUpperCase())],
  ['trim', plain(1, 1, ([v], pos) => str('trim', v, pos).trim())],
  ['all', predicate(true, (items, test) => items.every((v) => test(v) === true))],
  ['any', predicate(true, (items, test) => items.some((v) => test(v) === true))],
  ['none', predicate(true, (items, test) => !items.some((v) => test(v) === true))],
  ['one', predicate(true, (items, test) => items.filter((v) => test(v) === true).length === 1)],
  ['filter', predicate(true, (items, test) => items.filter((v) => test(v) === true))],
  ['count', predicate(true, (items, test) => items.filter((v) => test(v) === true).length)],
  ['find', predicate(true, (items, test) => items.find((v) => test(v) === true) ?? null)],
  ['map', predicate(false, (items, test) => items.map(test))],
]);
