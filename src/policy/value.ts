/**
 * Value patterns: the strings at the leaves of a `pattern`. A pattern is an OR (`|`) of ANDs
 * (`&`) of atoms; an atom is a wildcard to equal (`nginx:*`), its negation (`!*:latest`), a
 * comparison (`>=1`, `<100Mi`, `<=30s`) or a range (`1-10`, `!1Gi-2Gi`). Patterns are parsed
 * once when a policy is compiled; a malformed one is reported then, never at evaluation.
 */
import { isRecord } from '../kube/types.ts';
import {
  compareScalars,
  isComparable,
  parseQuantity,
  scalarText,
  wildcardMatch,
} from './scalars.ts';

type CompareOp = '>' | '>=' | '<' | '<=';
type Atom =
  | { op: '=' | '!'; operand: string }
  | { op: CompareOp; operand: string }
  | { op: 'range' | '!range'; lo: string; hi: string };

/** A parsed value pattern: `alternatives[i]` holds atoms that must all match. */
export interface ValuePattern {
  source: string;
  alternatives: Atom[][];
}

export class ValuePatternError extends Error {
  override name = 'ValuePatternError';
}

const NUM = String.raw`[+-]?(?:\d+(?:\.\d+)?|\.\d+)[A-Za-z]*`;
const RANGE = new RegExp(`^(!?)(${NUM})-(${NUM})$`);
const COMPARE = /^(>=|<=|>|<)\s*(.*)$/s;

function parseAtom(text: string, source: string): Atom {
  const t = text.trim();
  const range = RANGE.exec(t);
  if (range !== null) {
    const [, neg, lo = '', hi = ''] = range;
    const order = compareScalars(lo, hi);
    if (order === undefined || order > 0) {
      throw new ValuePatternError(`range '${t}' in '${source}' must go from low to high`);
    }
    return { op: neg === '!' ? '!range' : 'range', lo, hi };
  }
  const cmp = COMPARE.exec(t);
  if (cmp !== null) {
    const op = cmp[1] as CompareOp;
    const operand = (cmp[2] ?? '').trim();
    if (!isComparable(operand)) {
      throw new ValuePatternError(
        `operator '${op}' in '${source}' needs a number, quantity (100Mi), duration (30s) or version, got '${operand}'`,
      );
    }
    return { op, operand };
  }
  if (t.startsWith('!')) return { op: '!', operand: t.slice(1).trim() };
  return { op: '=', operand: t };
}

/** Parses a value pattern; throws ValuePatternError on a malformed operator or range. */
export function parseValuePattern(source: string): ValuePattern {
  // An empty pattern means the empty string; only split when there is something to split.
  if (source === '') return { source, alternatives: [[{ op: '=', operand: '' }]] };
  const alternatives = source.split('|').map((alt) => {
    const parts = alt.split('&');
    if (parts.some((p) => p.trim() === '') && source.trim() !== '') {
      throw new ValuePatternError(`'${source}' has an empty alternative around '|' or '&'`);
    }
    return parts.map((p) => parseAtom(p, source));
  });
  return { source, alternatives };
}

function equals(value: unknown, operand: string): boolean {
  const text = scalarText(value);
  if (text === undefined) return false;
  if (wildcardMatch(operand, text)) return true;
  // `1Gi` equals `1024Mi`; a number equals its spelling with a unit.
  if (typeof value === 'number' || /\d/.test(text)) {
    const a = parseQuantity(value);
    const b = parseQuantity(operand);
    return a !== undefined && b !== undefined && a === b;
  }
  return false;
}

function atomMatches(atom: Atom, value: unknown): boolean {
  switch (atom.op) {
    case '=':
      return equals(value, atom.operand);
    case '!':
      return scalarText(value) !== undefined && !equals(value, atom.operand);
    case 'range':
    case '!range': {
      const lo = compareScalars(value, atom.lo);
      const hi = compareScalars(value, atom.hi);
      if (lo === undefined || hi === undefined) return false;
      return (lo >= 0 && hi <= 0) === (atom.op === 'range');
    }
    default: {
      const c = compareScalars(value, atom.operand);
      if (c === undefined) return false;
      if (atom.op === '>') return c > 0;
      if (atom.op === '>=') return c >= 0;
      if (atom.op === '<') return c < 0;
      return c <= 0;
    }
  }
}

/** Whether a resource value satisfies the pattern; objects and lists never match a string. */
export function matchValue(pattern: ValuePattern, value: unknown): boolean {
  if (isRecord(value) || Array.isArray(value)) return false;
  return pattern.alternatives.some((atoms) => atoms.every((a) => atomMatches(a, value)));
}

/** `null` in a pattern: the value is absent or its type's zero value. */
export function matchesNull(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false)
    return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}
