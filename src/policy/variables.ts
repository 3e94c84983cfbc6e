/**
 * Variables in policies: `{{ request.object.metadata.name }}`, `{{ request.operation }}`,
 * `{{ serviceAccountName }}` and any JMESPath expression between double braces, in messages,
 * condition keys and values, and pattern leaves. Expressions are compiled once, when the
 * policy is compiled (a syntax error is a policy error then); evaluation only walks the tree.
 * A string that is exactly one variable takes the variable's value (a list stays a list);
 * otherwise values are written into the text (objects as JSON, null as empty).
 */
import { parseDuration, parseQuantity } from './scalars.ts';
import {
  compile,
  registerFunction,
  TreeInterpreter,
  TYPE_NUMBER,
  TYPE_STRING,
  type JSONValue,
} from '@jmespath-community/jmespath';

type Ast = ReturnType<typeof compile>;

/** The data an expression reads: `request`, `serviceAccountName`, `images`, ... */
export type VariableContext = Record<string, unknown>;

export class VariableError extends Error {
  override name = 'VariableError';
}

type Part = string | { expr: string; ast: Ast };

/** A string with variables, parsed once. */
export interface Template {
  source: string;
  parts: Part[];
  /** The string is a single `{{ }}` and nothing else. */
  whole: boolean;
  /** Variables inside variables (`{{ divide('{{ a }}', '{{ b }}') }}`): resolved inside out. */
  nested?: boolean;
}

/** An innermost `{{ ... }}`: no `{{` inside. */
const INNERMOST = /\{\{((?:(?!\{\{)[\s\S])*?)\}\}/g;

/** Whether a `{{` opens before the previous one closed. */
function isNested(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length - 1; i++) {
    const two = s.slice(i, i + 2);
    if (two === '{{' && s[i - 1] !== '\\') {
      if (++depth > 1) return true;
      i++;
    } else if (two === '}}' && depth > 0) {
      depth--;
      i++;
    }
  }
  return false;
}

const nestedCache = new Map<string, { expr: string; ast: Ast }>();

/** Resolves innermost variables first, until one expression (its value) or text remains. */
function renderNested(source: string, ctx: VariableContext): unknown {
  let s = source;
  for (let guard = 0; guard < 32; guard++) {
    const m = new RegExp(INNERMOST.source).exec(s);
    if (m === null) return s;
    const expr = (m[1] ?? '').trim();
    let part = nestedCache.get(expr);
    if (part === undefined) {
      part = compileExpression(expr);
      if (nestedCache.size > 10_000) nestedCache.clear();
      nestedCache.set(expr, part);
    }
    const value = run(part, ctx);
    if (m[0].length === s.length) return value;
    s = s.slice(0, m.index) + asText(value) + s.slice(m.index + m[0].length);
  }
  throw new VariableError(`variables nested too deep in '${source}'`);
}

/** The index just past the `}}` that closes the expression starting at `from`. */
function closing(s: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

export const hasVariables = (s: string): boolean => s.includes('{{');

/** Parses `{{ }}` expressions; throws VariableError on an unclosed one or bad JMESPath. */
export function parseTemplate(source: string): Template {
  if (isNested(source)) {
    // Only the innermost expressions can be checked now; the outer ones exist after them.
    for (const m of source.matchAll(INNERMOST)) compileExpression((m[1] ?? '').trim());
    return { source, parts: [], whole: false, nested: true };
  }
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) break;
    if (open > 0 && source[open - 1] === '\\') {
      text += source.slice(i, open - 1) + '{{';
      i = open + 2;
      continue;
    }
    const end = closing(source, open + 2);
    if (end < 0) throw new VariableError(`'{{' without a closing '}}' in '${source}'`);
    text += source.slice(i, open);
    if (text !== '') parts.push(text);
    text = '';
    parts.push(compileExpression(source.slice(open + 2, end).trim()));
    i = end + 2;
  }
  text += source.slice(i);
  if (text !== '') parts.push(text);
  return { source, parts, whole: parts.length === 1 && typeof parts[0] !== 'string' };
}

function compileExpression(expr: string): { expr: string; ast: Ast } {
  if (expr === '') throw new VariableError('an empty variable {{ }}');
  try {
    return { expr, ast: compile(expr) };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new VariableError(`JMESPath '${expr}' does not parse: ${why}`);
  }
}

function run(part: { expr: string; ast: Ast }, ctx: VariableContext): unknown {
  try {
    return TreeInterpreter.search(part.ast, ctx as JSONValue);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new VariableError(`JMESPath '${part.expr}' failed: ${why}`);
  }
}

const asText = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** The template's value: the variable itself when whole, else the text with values written in. */
export function render(t: Template, ctx: VariableContext): unknown {
  if (t.nested === true) return renderNested(t.source, ctx);
  if (t.whole) return run(t.parts[0] as { expr: string; ast: Ast }, ctx);
  let out = '';
  for (const p of t.parts) out += typeof p === 'string' ? p : asText(run(p, ctx));
  return out;
}

/** Renders to text (messages). */
export const renderText = (t: Template, ctx: VariableContext): string => asText(render(t, ctx));

/**
 * A value from a policy with every string's variables resolved; strings without `{{` and
 * non-strings come back unchanged. Templates are parsed on first use and cached.
 */
const templateCache = new Map<string, Template>();
export function resolveDeep(value: unknown, ctx: VariableContext): unknown {
  if (typeof value === 'string') {
    if (!hasVariables(value)) return value;
    let t = templateCache.get(value);
    if (t === undefined) {
      t = parseTemplate(value);
      if (templateCache.size > 10_000) templateCache.clear();
      templateCache.set(value, t);
    }
    return render(t, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, ctx));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, ctx)]));
  }
  return value;
}

/** Every expression in a value (keys and strings), parsed: throws on the first bad one. */
export function checkVariables(value: unknown): void {
  if (typeof value === 'string') {
    if (hasVariables(value)) templateCache.set(value, parseTemplate(value));
  } else if (Array.isArray(value)) value.forEach(checkVariables);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkVariables(k);
      checkVariables(v);
    }
  }
}

// Kyverno's extra functions that policies use most; the JMESPath community set has the rest
// (`lower`, `upper`, `split`, `join`, `contains`, `starts_with`, `length`, ...).
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
registerFunction('to_upper', ([s]) => str(s).toUpperCase(), [{ types: [TYPE_STRING] }], {
  override: true,
});
registerFunction('to_lower', ([s]) => str(s).toLowerCase(), [{ types: [TYPE_STRING] }], {
  override: true,
});
registerFunction(
  'regex_match',
  ([re, s]) => new RegExp(str(re)).test(str(s)),
  [{ types: [TYPE_STRING] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
  { override: true },
);
registerFunction(
  'truncate',
  ([s, n]) => str(s).slice(0, Number(n)),
  [{ types: [TYPE_STRING] }, { types: [TYPE_NUMBER] }],
  { override: true },
);
// Kyverno's arithmetic over numbers, quantities (`1Gi`) and durations (`30s`); results are
// plain numbers (bytes, milliseconds), which compare with quantities as quantities.
const num = (v: unknown): number => {
  const q = parseDuration(v) ?? parseQuantity(v);
  if (q === undefined)
    throw new Error(`${JSON.stringify(v)} is not a number, quantity or duration`);
  return q;
};
const arithmetic: Array<[string, (a: number, b: number) => number]> = [
  ['add', (a, b) => a + b],
  ['subtract', (a, b) => a - b],
  ['multiply', (a, b) => a * b],
  ['divide', (a, b) => a / b],
  ['modulo', (a, b) => a % b],
];
for (const [name, f] of arithmetic) {
  registerFunction(
    name,
    ([a, b]) => f(num(a), num(b)),
    [{ types: [TYPE_STRING, TYPE_NUMBER] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
    { override: true },
  );
}
registerFunction(
  'base64_decode',
  ([s]) => Buffer.from(str(s), 'base64').toString('utf8'),
  [{ types: [TYPE_STRING] }],
  { override: true },
);
