/**
 * Pipeline params as Tekton resolves them: a declared param's type (stated, or inferred from its
 * default or `properties`), the run's value or else the default (object params: the run's keys
 * over the default's; string defaults may read other params), and reading one with a pick —
 * `$(params.flags[*])`, `$(params.flags[0])`, `$(params.image.repo)`.
 *
 * Params the run gives that the Pipeline does not declare are ignored (Tekton accepts them).
 */
import type { Param, ParamSpec, ParamType, ParamValue } from '../../api/pipeline.ts';
import { substitute } from '../subst.ts';
import { parseRef } from './refs.ts';

/** A param's type: as declared, else from its default (array, object), `properties`, or string. */
export function paramTypeOf(spec: ParamSpec): ParamType {
  if (spec.type) return spec.type;
  if (spec.default !== undefined) return valueTypeOf(spec.default);
  return spec.properties ? 'object' : 'string';
}

/** The type of a literal value. */
export function valueTypeOf(v: ParamValue): ParamType {
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'array' : 'object';
}

/** `an array` / `a string` / `an object`, for messages. */
export function article(t: ParamType): string {
  return t === 'string' ? 'a string' : `an ${t}`;
}

export interface ResolvedParams {
  values: Map<string, ParamValue>;
  declared: Set<string>;
  /** Params the run gives that the Pipeline does not declare. */
  extra: string[];
}

/**
 * The value of every declared param: the run's, else the default. Params without either are left
 * out (validation reports them). A string default may read other params (`$(params.repo)-cache`).
 */
export function resolveParams(
  specs: readonly ParamSpec[],
  given: readonly Param[],
): ResolvedParams {
  const declared = new Set(specs.map((s) => s.name));
  const byName = new Map(given.map((p) => [p.name, p.value]));
  const values = new Map<string, ParamValue>();
  for (const s of specs) {
    const v = byName.get(s.name);
    if (v !== undefined) {
      const def = s.default;
      const merge = typeof v === 'object' && !Array.isArray(v) && def && typeof def === 'object';
      values.set(s.name, merge && !Array.isArray(def) ? { ...def, ...v } : v);
    } else if (s.default !== undefined && typeof s.default !== 'string') {
      values.set(s.name, s.default);
    }
  }
  const pending = specs.filter((s) => !byName.has(s.name) && typeof s.default === 'string');
  resolveStringDefaults(pending, values, declared);
  const extra = given.map((p) => p.name).filter((n) => !declared.has(n));
  return { values, declared, extra };
}

/** String defaults that read other params, resolved in dependency order; loops stay unresolved. */
function resolveStringDefaults(
  pending: ParamSpec[],
  values: Map<string, ParamValue>,
  declared: ReadonlySet<string>,
): void {
  let left = pending;
  while (left.length > 0) {
    const next: ParamSpec[] = [];
    for (const s of left) {
      const text = s.default as string;
      try {
        values.set(
          s.name,
          substitute(text, (ref) => readParam(values, declared, ref)),
        );
      } catch {
        next.push(s);
      }
    }
    if (next.length === left.length) break;
    left = next;
  }
  for (const s of left) values.set(s.name, s.default as string);
}

/** Reads `params.<name>` with its pick from resolved values; undefined when it does not resolve. */
export function readParam(
  values: ReadonlyMap<string, ParamValue>,
  declared: ReadonlySet<string>,
  ref: string,
): ParamValue | undefined {
  const r = parseRef(ref, declared);
  if (r.kind !== 'param') return undefined;
  return pick(values.get(r.name), r);
}

/** Picks from a value: the whole (`[*]` or none), one item (`[i]`), or one key (`.k`). */
export function pick(
  v: ParamValue | undefined,
  p: { star?: boolean; index?: number; key?: string },
): ParamValue | undefined {
  if (v === undefined) return undefined;
  if (p.key !== undefined) {
    return typeof v === 'object' && !Array.isArray(v) ? v[p.key] : undefined;
  }
  if (p.index !== undefined) return Array.isArray(v) ? v[p.index] : undefined;
  if (p.star && typeof v === 'string') return undefined;
  return v;
}
