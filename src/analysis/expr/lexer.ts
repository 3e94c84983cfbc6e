/**
 * Splits a condition into tokens: numbers (`0.99`, `1e3`, `1_000`, `0x1F`), strings (`'ok'`,
 * `"ok"`, `` `raw` ``), names, and operators. Positions are 1-based.
 */
import { ExprSyntaxError } from './errors.ts';

export type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** The source text (for strings: the decoded value). */
  text: string;
  /** Numbers only. */
  number?: number;
  pos: number;
}

/** Longest first, so `**` wins over `*` and `?.` over `?`. */
const OPERATORS = [
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '!',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '?',
  ':',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '#',
];

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const token = readToken(src, i);
    tokens.push(token.token);
    i = token.next;
  }
  tokens.push({ kind: 'end', text: '', pos: src.length + 1 });
  return tokens;
}

function readToken(src: string, i: number): { token: Token; next: number } {
  const c = src[i] ?? '';
  if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) return readNumber(src, i);
  if (c === '"' || c === "'") return readString(src, i, c);
  if (c === '`') return readRaw(src, i);
  if (/[A-Za-z_$]/.test(c)) return readName(src, i);
  const op = OPERATORS.find((o) => src.startsWith(o, i));
  if (!op) throw new ExprSyntaxError('UnexpectedToken', `unexpected '${c}'`, i + 1);
  // `a?.5 : 1` is a conditional, not optional chaining.
  if (op === '?.' && /[0-9]/.test(src[i + 2] ?? ''))
    return { token: { kind: 'op', text: '?', pos: i + 1 }, next: i + 1 };
  return { token: { kind: 'op', text: op, pos: i + 1 }, next: i + op.length };
}

function readName(src: string, i: number): { token: Token; next: number } {
  const text = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))?.[0] ?? '';
  return { token: { kind: 'name', text, pos: i + 1 }, next: i + text.length };
}

function readNumber(src: string, i: number): { token: Token; next: number } {
  const m =
    /^0[xX][0-9a-fA-F_]+/.exec(src.slice(i)) ??
    /^(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i));
  let text = m?.[0] ?? '';
  // `1..2` or `x[0].a`: a dot not followed by a digit ends the number.
  if (text.endsWith('.') && !/[0-9]/.test(src[i + text.length] ?? '')) text = text.slice(0, -1);
  const clean = text.replaceAll('_', '');
  const n = Number(clean);
  if (!Number.isFinite(n) || clean === '' || text.endsWith('_')) {
    throw new ExprSyntaxError('BadNumber', `number ${text} is not a finite number`, i + 1);
  }
  if (/[A-Za-z_$]/.test(src[i + text.length] ?? '')) {
    throw new ExprSyntaxError(
      'BadNumber',
      `unexpected '${src[i + text.length] ?? ''}' after number ${text}`,
      i + text.length + 1,
    );
  }
  return { token: { kind: 'number', text, number: n, pos: i + 1 }, next: i + text.length };
}

function readString(src: string, start: number, quote: string): { token: Token; next: number } {
  let out = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    const c = src[i] ?? '';
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = readEscape(src, i);
    out += e.text;
    i = e.next;
  }
  if (i >= src.length) throw new ExprSyntaxError('BadString', 'string is not closed', start + 1);
  return { token: { kind: 'string', text: out, pos: start + 1 }, next: i + 1 };
}

function readEscape(src: string, i: number): { text: string; next: number } {
  const e = src[i + 1] ?? '';
  const simple = Object.hasOwn(ESCAPES, e) ? ESCAPES[e] : undefined;
  if (simple !== undefined) return { text: simple, next: i + 2 };
  const hex = e === 'u' ? /^[0-9a-fA-F]{4}/.exec(src.slice(i + 2))?.[0] : undefined;
  if (hex) return { text: String.fromCharCode(parseInt(hex, 16)), next: i + 6 };
  throw new ExprSyntaxError('BadString', `unknown escape \\${e}`, i + 1);
}

function readRaw(src: string, start: number): { token: Token; next: number } {
  const end = src.indexOf('`', start + 1);
  if (end < 0) throw new ExprSyntaxError('BadString', 'string is not closed', start + 1);
  return {
    token: { kind: 'string', text: src.slice(start + 1, end), pos: start + 1 },
    next: end + 1,
  };
}
