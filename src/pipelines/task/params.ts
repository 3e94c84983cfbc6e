/**
 * A Task's params with the values a run gives them, checked as Tekton checks them: every param
 * without a default gets a value, a value has the declared type (string, array or object), an
 * object has every key its `properties` list (a provided object is merged over the default, key
 * by key), a string is one of the `enum` values when there is one. Params the Task does not
 * declare are ignored (a Pipeline may pass more than a Task uses).
 *
 * @example
 * resolveParams([{ name: 'flags', type: 'array', default: [] }], [{ name: 'flags', value: ['-v'] }]);
 * // Map { 'flags' => ['-v'] }
 */
import type { Param, ParamSpec, ParamType, ParamValue } from '../../api/pipeline.ts';
import { TaskError } from './errors.ts';

/** A param's type: declared, else inferred from its default or `properties`, else string. */
export function paramTypeOf(spec: ParamSpec): ParamType {
  if (spec.type) return spec.type;
  if (spec.properties) return 'object';
  return spec.default === undefined ? 'string' : valueTypeOf(spec.default);
}

export function valueTypeOf(value: ParamValue): ParamType {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : 'string';
}

/**
 * A value as Tekton reads it from YAML: arrays of strings and objects of strings keep their
 * shape; anything else is a string (`3` → `"3"`, a nested array → its JSON).
 */
export function normaliseValue(raw: unknown): ParamValue {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const entries = Object.entries(raw);
    if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries);
  }
  return JSON.stringify(raw ?? '');
}

const quoteAll = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

function checkMissing(specs: readonly ParamSpec[], given: ReadonlyMap<string, ParamValue>): void {
  const missing = specs
    .filter((s) => s.default === undefined && !given.has(s.name))
    .map((s) => s.name);
  if (missing.length === 0) return;
  throw new TaskError(
    'MissingParam',
    `missing value${missing.length > 1 ? 's' : ''} for param${missing.length > 1 ? 's' : ''} ${quoteAll(missing)}, which ${missing.length > 1 ? 'have' : 'has'} no default`,
    { param: missing[0]! },
    'give it a value in the run’s params, or a default in the Task',
  );
}

function checkType(spec: ParamSpec, value: ParamValue, source: 'value' | 'default'): void {
  const want = paramTypeOf(spec);
  const got = valueTypeOf(value);
  if (want === got) return;
  throw new TaskError(
    'ParamTypeMismatch',
    `param "${spec.name}" is declared as ${want === 'array' ? 'an array' : `a ${want}`} but its ${source} is ${got === 'array' ? 'an array' : `a ${got}`}`,
    { param: spec.name },
  );
}

/** An object param: the default's keys, overridden key by key by the run's value. */
function mergeObject(spec: ParamSpec, value: ParamValue | undefined): ParamValue {
  const base = spec.default && valueTypeOf(spec.default) === 'object' ? spec.default : {};
  const merged = { ...(base as Record<string, string>), ...(value as Record<string, string>) };
  const missing = Object.keys(spec.properties ?? {}).filter((k) => !(k in merged));
  if (missing.length > 0) {
    throw new TaskError(
      'MissingObjectKeys',
      `param "${spec.name}" is missing the key${missing.length > 1 ? 's' : ''} ${quoteAll(missing)} its properties require`,
      { param: spec.name },
    );
  }
  return merged;
}

function checkEnum(spec: ParamSpec, value: ParamValue): void {
  if (!spec.enum?.length || typeof value !== 'string' || value === '') return;
  if (spec.enum.includes(value)) return;
  throw new TaskError(
    'InvalidParamValue',
    `param "${spec.name}" is "${value}", which is not one of its allowed values ${quoteAll(spec.enum)}`,
    { param: spec.name },
  );
}

/** The value of every declared param, checked; throws a TaskError naming the first bad param. */
export function resolveParams(
  specs: readonly ParamSpec[],
  provided: readonly Param[],
): Map<string, ParamValue> {
  const given = new Map<string, ParamValue>();
  for (const p of provided) given.set(p.name, normaliseValue(p.value));
  checkMissing(specs, given);
  const out = new Map<string, ParamValue>();
  for (const spec of specs) {
    const value = given.get(spec.name);
    if (value !== undefined) checkType(spec, value, 'value');
    else if (spec.default !== undefined) checkType(spec, normaliseValue(spec.default), 'default');
    const effective =
      paramTypeOf(spec) === 'object'
        ? mergeObject(spec, value)
        : (value ?? normaliseValue(spec.default));
    checkEnum(spec, effective);
    out.set(spec.name, effective);
  }
  return out;
}
