/**
 * `validate.pattern`: compiled once into a tree of small matchers, then run against resources.
 *
 * Anchors on map keys: `(key)` conditional (a mismatch skips the enclosing element, and the
 * rule when nothing is left), `<(key)` global (a mismatch skips the whole rule), `=(key)`
 * equality (checked only when the key is present), `^(key)` existence (some element of the
 * list matches), `X(key)` negation (the key must be absent). Plain keys must be present and
 * match. A list pattern of one map checks every element of the resource's list. Keys may use
 * wildcards (`X(fluxcd.io/*)`). Leaves are value patterns (value.ts) or `{{ }}` variables.
 */
import { isRecord } from '../kube/types.ts';
import { hasWildcard, wildcardMatch } from './scalars.ts';
import { matchesNull, matchValue, parseValuePattern, type ValuePattern } from './value.ts';
import { hasVariables, parseTemplate, render, type VariableContext } from './variables.ts';

export type PatternOutcome =
  | { kind: 'pass' }
  | { kind: 'fail'; path: string; detail: string }
  | { kind: 'skip'; path: string; detail: string; global: boolean };

export type Matcher = (value: unknown, path: string, ctx: VariableContext) => PatternOutcome;

/** A pattern that cannot be compiled; `path` says where (`spec.containers[0].image`). */
export class PatternError extends Error {
  override name = 'PatternError';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

type Anchor = 'plain' | 'condition' | 'global' | 'equality' | 'existence' | 'negation';
const ANCHORS: Array<[string, Anchor]> = [
  ['<(', 'global'],
  ['=(', 'equality'],
  ['^(', 'existence'],
  ['X(', 'negation'],
  ['(', 'condition'],
];

interface Entry {
  anchor: Anchor;
  key: string;
  wildcard: boolean;
  match: Matcher;
}

const PASS: PatternOutcome = { kind: 'pass' };
const at = (path: string, key: string | number): string => `${path}/${key}`;
const show = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? 'nothing');

function parseKey(raw: string, path: string): { anchor: Anchor; key: string } {
  if (raw.startsWith('+(')) {
    throw new PatternError(
      path,
      `anchor '+(' (add if not present) belongs in mutate rules, not validate`,
    );
  }
  for (const [prefix, anchor] of ANCHORS) {
    if (raw.startsWith(prefix)) {
      if (!raw.endsWith(')') || raw.length === prefix.length + 1) {
        throw new PatternError(path, `anchor '${raw}' is not closed: write ${prefix}key)`);
      }
      return { anchor, key: raw.slice(prefix.length, -1) };
    }
  }
  if (/^[A-Za-z<=^+]?\(.*\)$/.test(raw)) {
    throw new PatternError(path, `'${raw}' is not an anchor: use (), =(), ^(), X() or <()`);
  }
  return { anchor: 'plain', key: raw };
}

/** Compiles a pattern; throws PatternError naming the path of the first bad part. */
export function compilePattern(pattern: unknown, path = ''): Matcher {
  if (Array.isArray(pattern)) return compileList(pattern, path);
  if (isRecord(pattern)) return compileMap(pattern, path);
  return overLists(compileScalar(pattern, path));
}

/** A scalar pattern against a list of scalars checks every element (`supplementalGroups: ">0"`). */
function overLists(m: Matcher): Matcher {
  return (v, p, ctx) => {
    if (!Array.isArray(v) || v.some((x) => isRecord(x) || Array.isArray(x))) return m(v, p, ctx);
    for (const [i, x] of v.entries()) {
      const out = m(x, at(p, i), ctx);
      if (out.kind !== 'pass') return out;
    }
    return PASS;
  };
}

function compileScalar(pattern: unknown, path: string): Matcher {
  if (typeof pattern === 'string') return compileString(pattern, path);
  if (pattern === null || pattern === undefined) {
    return (v, p) =>
      matchesNull(v)
        ? PASS
        : { kind: 'fail', path: p, detail: `expected no value, got ${show(v)}` };
  }
  if (typeof pattern === 'number' || typeof pattern === 'boolean') {
    const text = String(pattern);
    return (v, p) =>
      v === pattern || (typeof v === 'string' && v === text && typeof pattern === 'number')
        ? PASS
        : { kind: 'fail', path: p, detail: `expected ${text}, got ${show(v)}` };
  }
  throw new PatternError(path, `unsupported pattern value ${show(pattern)}`);
}

function valueMatcher(vp: ValuePattern): Matcher {
  return (v, p) =>
    matchValue(vp, v)
      ? PASS
      : { kind: 'fail', path: p, detail: `expected '${vp.source}', got ${show(v)}` };
}

function compileString(pattern: string, path: string): Matcher {
  try {
    if (!hasVariables(pattern)) return valueMatcher(parseValuePattern(pattern));
    const template = parseTemplate(pattern);
    return (v, p, ctx) => {
      const resolved = render(template, ctx);
      if (typeof resolved !== 'string') return compilePattern(resolved, p)(v, p, ctx);
      return valueMatcher(parseValuePattern(resolved))(v, p, ctx);
    };
  } catch (err) {
    if (err instanceof PatternError) throw err;
    throw new PatternError(path, err instanceof Error ? err.message : String(err));
  }
}

function compileMap(pattern: Record<string, unknown>, path: string): Matcher {
  const entries: Entry[] = Object.entries(pattern).map(([raw, sub]) => {
    const { anchor, key } = parseKey(raw, at(path, raw));
    if (anchor === 'existence' && !Array.isArray(sub)) {
      throw new PatternError(at(path, raw), `existence anchor ^(${key}) needs a list pattern`);
    }
    return { anchor, key, wildcard: hasWildcard(key), match: compilePattern(sub, at(path, raw)) };
  });
  // Anchors first, in the order that decides: global, conditional, negation, then the rest.
  const order: Anchor[] = ['global', 'condition', 'negation', 'equality', 'existence', 'plain'];
  entries.sort((a, b) => order.indexOf(a.anchor) - order.indexOf(b.anchor));
  return (value, p, ctx) => {
    if (!isRecord(value))
      return { kind: 'fail', path: p, detail: `expected an object, got ${show(value)}` };
    for (const e of entries) {
      const out = checkEntry(e, value, p, ctx);
      if (out.kind !== 'pass') return out;
    }
    return PASS;
  };
}

/** The resource keys an entry applies to (a wildcard key may name several). */
function keysFor(e: Entry, obj: Record<string, unknown>): string[] {
  if (!e.wildcard) return e.key in obj && obj[e.key] !== undefined ? [e.key] : [];
  return Object.keys(obj).filter((k) => wildcardMatch(e.key, k));
}

function checkEntry(
  e: Entry,
  obj: Record<string, unknown>,
  p: string,
  ctx: VariableContext,
): PatternOutcome {
  const keys = keysFor(e, obj);
  switch (e.anchor) {
    case 'negation': {
      const k = keys[0];
      return k === undefined
        ? PASS
        : { kind: 'fail', path: at(p, k), detail: `'${k}' must not be set` };
    }
    case 'global':
    case 'condition':
      return checkCondition(e, obj, keys, p, ctx);
    case 'existence':
      return checkExistence(e, obj, keys, p, ctx);
    default:
      return checkPlain(e, obj, keys, p, ctx);
  }
}

/** `(key)` and `<(key)`: a mismatch is a skip (of the element, or of the whole rule). */
function checkCondition(
  e: Entry,
  obj: Record<string, unknown>,
  keys: string[],
  p: string,
  ctx: VariableContext,
): PatternOutcome {
  const global = e.anchor === 'global';
  if (keys.length === 0)
    return { kind: 'skip', path: at(p, e.key), detail: `'${e.key}' is not set`, global };
  for (const k of keys) {
    const out = e.match(obj[k], at(p, k), ctx);
    if (out.kind === 'fail') return { kind: 'skip', path: out.path, detail: out.detail, global };
    if (out.kind === 'skip') return out;
  }
  return PASS;
}

/** Plain keys must be present (unless the pattern is null); `=(key)` only when present. */
function checkPlain(
  e: Entry,
  obj: Record<string, unknown>,
  keys: string[],
  p: string,
  ctx: VariableContext,
): PatternOutcome {
  if (keys.length === 0) {
    if (e.anchor === 'equality') return PASS;
    return e.match(undefined, at(p, e.key), ctx).kind === 'pass'
      ? PASS
      : { kind: 'fail', path: at(p, e.key), detail: `'${e.key}' is required` };
  }
  for (const k of keys) {
    const out = e.match(obj[k], at(p, k), ctx);
    if (out.kind !== 'pass') return out;
  }
  return PASS;
}

function checkExistence(
  e: Entry,
  obj: Record<string, unknown>,
  keys: string[],
  p: string,
  ctx: VariableContext,
): PatternOutcome {
  for (const k of keys) {
    const list = obj[k];
    if (!Array.isArray(list)) return { kind: 'fail', path: at(p, k), detail: `expected a list` };
    // The pattern is a list of one map: at least one element must match it.
    const found = list.some((item, i) => e.match([item], at(at(p, k), i), ctx).kind === 'pass');
    if (!found) return { kind: 'fail', path: at(p, k), detail: `no element of '${k}' matches` };
  }
  return keys.length > 0
    ? PASS
    : { kind: 'fail', path: at(p, e.key), detail: `'${e.key}' is required` };
}

function compileList(pattern: unknown[], path: string): Matcher {
  const first = pattern[0];
  if (pattern.length === 0) {
    return (v, p) =>
      Array.isArray(v)
        ? PASS
        : { kind: 'fail', path: p, detail: `expected a list, got ${show(v)}` };
  }
  if (isRecord(first)) return eachElement(compilePattern(first, at(path, 0)));
  const items = pattern.map((item, i) => compilePattern(item, at(path, i)));
  if (items.length === 1 && items[0] !== undefined) return eachElement(items[0]);
  return (v, p, ctx) => {
    if (!Array.isArray(v))
      return { kind: 'fail', path: p, detail: `expected a list, got ${show(v)}` };
    if (v.length < items.length)
      return { kind: 'fail', path: p, detail: `expected at least ${items.length} elements` };
    for (const [i, m] of items.entries()) {
      const out = m(v[i], at(p, i), ctx);
      if (out.kind !== 'pass') return out;
    }
    return PASS;
  };
}

/** Every element must match; elements a conditional anchor skips do not count. */
function eachElement(match: Matcher): Matcher {
  return (v, p, ctx) => {
    if (!Array.isArray(v))
      return { kind: 'fail', path: p, detail: `expected a list, got ${show(v)}` };
    let applied = 0;
    let skipped: PatternOutcome | undefined;
    for (const [i, item] of v.entries()) {
      const out = match(item, at(p, i), ctx);
      if (out.kind === 'fail' || (out.kind === 'skip' && out.global)) return out;
      if (out.kind === 'skip') skipped ??= out;
      else applied++;
    }
    return applied === 0 && skipped !== undefined ? skipped : PASS;
  };
}
