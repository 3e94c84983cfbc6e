/**
 * Conditions, as `preconditions` and `validate.deny.conditions` write them: `key`, `operator`,
 * `value`, grouped as `any` (one must hold) and `all` (every one must hold; a bare list means
 * all). Keys and values may hold `{{ }}` variables. Operators: Equals, NotEquals, In, AnyIn,
 * AllIn, NotIn, AnyNotIn, AllNotIn, GreaterThan, GreaterThanOrEquals, LessThan,
 * LessThanOrEquals (numbers, quantities, durations, versions), the Duration* forms, and the
 * deprecated Equal / NotEqual. Strings compare with wildcards (`prod-*`).
 */
import { isRecord } from '../kube/types.ts';
import { jsonEqual } from '../util/json.ts';
import {
  compareScalars,
  parseDuration,
  parseQuantity,
  scalarText,
  wildcardMatch,
} from './scalars.ts';
import type { Condition, Conditions } from './types.ts';
import { checkVariables, resolveDeep, type VariableContext } from './variables.ts';

type Check = (key: unknown, value: unknown) => boolean;

function scalarEquals(key: unknown, value: unknown): boolean {
  if (jsonEqual(key, value)) return true;
  const k = scalarText(key);
  const v = scalarText(value);
  if (k === undefined || v === undefined) return false;
  if (typeof value === 'string' && wildcardMatch(v, k)) return true;
  const dk = parseDuration(k);
  const dv = parseDuration(v);
  if (dk !== undefined && dv !== undefined) return dk === dv;
  const qk = parseQuantity(key);
  const qv = parseQuantity(value);
  return qk !== undefined && qv !== undefined && qk === qv;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
/** `5000-6000` in a set is a range (numbers, quantities); anything else compares as Equals. */
const RANGE = /^([+-]?\d+(?:\.\d+)?[A-Za-z]*)-([+-]?\d+(?:\.\d+)?[A-Za-z]*)$/;
function member(item: unknown, s: unknown): boolean {
  const range = typeof s === 'string' ? RANGE.exec(s) : null;
  if (range !== null && typeof item !== 'object') {
    const lo = compareScalars(item, range[1]);
    const hi = compareScalars(item, range[2]);
    if (lo !== undefined && hi !== undefined) return lo >= 0 && hi <= 0;
  }
  return scalarEquals(item, s);
}
const inSet = (item: unknown, set: unknown): boolean => list(set).some((s) => member(item, s));

const compare =
  (test: (c: number) => boolean): Check =>
  (k, v) => {
    const c = compareScalars(k, v);
    return c !== undefined && test(c);
  };
const durationCompare =
  (test: (c: number) => boolean): Check =>
  (k, v) => {
    const dk = parseDuration(k);
    const dv = parseDuration(v);
    return dk !== undefined && dv !== undefined && test(Math.sign(dk - dv));
  };

export const OPERATORS: Record<string, Check> = {
  Equals: scalarEquals,
  NotEquals: (k, v) => !scalarEquals(k, v),
  In: (k, v) => list(k).every((x) => inSet(x, v)),
  AnyIn: (k, v) => list(k).some((x) => inSet(x, v)),
  AllIn: (k, v) => list(k).every((x) => inSet(x, v)),
  NotIn: (k, v) => !list(k).every((x) => inSet(x, v)),
  AnyNotIn: (k, v) => list(k).some((x) => !inSet(x, v)),
  AllNotIn: (k, v) => list(k).every((x) => !inSet(x, v)),
  GreaterThan: compare((c) => c > 0),
  GreaterThanOrEquals: compare((c) => c >= 0),
  LessThan: compare((c) => c < 0),
  LessThanOrEquals: compare((c) => c <= 0),
  DurationGreaterThan: durationCompare((c) => c > 0),
  DurationGreaterThanOrEquals: durationCompare((c) => c >= 0),
  DurationLessThan: durationCompare((c) => c < 0),
  DurationLessThanOrEquals: durationCompare((c) => c <= 0),
};
// Deprecated spellings still found in older policies.
OPERATORS['Equal'] = OPERATORS['Equals'] as Check;
OPERATORS['NotEqual'] = OPERATORS['NotEquals'] as Check;

/** A condition block in its one shape: `any` and `all` lists. */
export interface ConditionGroups {
  any: Condition[];
  all: Condition[];
}

export class ConditionError extends Error {
  override name = 'ConditionError';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

function operatorOf(name: string): string | undefined {
  if (name in OPERATORS) return name;
  return Object.keys(OPERATORS).find((k) => k.toLowerCase() === name.toLowerCase());
}

function checkCondition(c: unknown, path: string): Condition {
  if (!isRecord(c) || typeof c['operator'] !== 'string' || !('key' in c)) {
    throw new ConditionError(path, 'a condition needs `key` and `operator`');
  }
  const op = operatorOf(c['operator']);
  if (op === undefined) {
    throw new ConditionError(
      `${path}.operator`,
      `unknown operator '${c['operator']}'; use one of ${Object.keys(OPERATORS).join(', ')}`,
    );
  }
  try {
    checkVariables(c['key']);
    checkVariables(c['value']);
  } catch (err) {
    throw new ConditionError(path, err instanceof Error ? err.message : String(err));
  }
  return { ...(c as unknown as Condition), operator: op };
}

/** Normalises and checks a block at load; throws ConditionError naming the bad condition. */
export function compileConditions(raw: Conditions | undefined, path: string): ConditionGroups {
  if (raw === undefined || raw === null) return { any: [], all: [] };
  if (Array.isArray(raw))
    return { any: [], all: raw.map((c, i) => checkCondition(c, `${path}[${i}]`)) };
  if (!isRecord(raw)) throw new ConditionError(path, 'conditions are a list or an `any`/`all` map');
  const extra = Object.keys(raw).filter((k) => k !== 'any' && k !== 'all');
  if (extra.length > 0) {
    throw new ConditionError(
      path,
      `conditions take only 'any' and 'all', not '${extra.join("', '")}'`,
    );
  }
  const group = (name: 'any' | 'all'): Condition[] => {
    const items: unknown = raw[name];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items))
      throw new ConditionError(`${path}.${name}`, 'expected a list of conditions');
    return items.map((c, i) => checkCondition(c, `${path}.${name}[${i}]`));
  };
  return { any: group('any'), all: group('all') };
}

function holds(c: Condition, ctx: VariableContext): boolean {
  const check = OPERATORS[c.operator];
  return check !== undefined && check(resolveDeep(c.key, ctx), resolveDeep(c.value, ctx));
}

/**
 * Whether the block holds: every `all` condition and, when there are `any` conditions, one of
 * them. An empty block holds. `failed` is the first condition that decided a false result.
 */
export function evaluateConditions(
  groups: ConditionGroups,
  ctx: VariableContext,
): { ok: boolean; failed?: Condition } {
  for (const c of groups.all) if (!holds(c, ctx)) return { ok: false, failed: c };
  if (groups.any.length > 0 && !groups.any.some((c) => holds(c, ctx))) {
    return { ok: false, ...(groups.any[0] ? { failed: groups.any[0] } : {}) };
  }
  return { ok: true };
}
