/**
 * Tekton's variable references, `$(params.name)`, `$(tasks.build.results.digest)`,
 * `$(context.pipelineRun.name)`, `$(workspaces.src.path)`, ..., found and replaced — the one
 * primitive both the Pipeline engine and the Task resolution use. What a reference means is the
 * caller's `lookup`; this file only knows the syntax:
 *
 * - `$(params.name)`, `$(params["name"])`, `$(params['name'])` (bracket form for dotted names)
 * - `$(params.obj.key)`, `$(params.arr[1])`
 * - `$(params.arr[*])`: a whole array, allowed only as a whole element of an array field
 *   (`args`, `command`, an array param), where it expands to several elements.
 *
 * @example
 * substitute('echo $(params.msg)', (ref) => (ref === 'params.msg' ? 'hi' : undefined)); // 'echo hi'
 */
import type { ParamValue } from '../api/pipeline.ts';

/** What a reference can be replaced with; undefined: unknown (an error, or left as is). */
export type Lookup = (ref: string) => ParamValue | undefined;

export class SubstitutionError extends Error {
  readonly reference: string;
  readonly code: 'Unresolved' | 'NotAString';
  constructor(code: 'Unresolved' | 'NotAString', reference: string, message: string) {
    super(message);
    this.name = 'SubstitutionError';
    this.code = code;
    this.reference = reference;
  }
}

const REF = /\$\(([^()]+)\)/g;

/** Normalises `params["a.b"]` / `params['a.b']` to `params.a.b`'s canonical form `params.a.b`. */
export function canonical(ref: string): string {
  return ref.trim().replace(/\[\s*["']([^"']+)["']\s*\]/g, '.$1');
}

/** Every reference in a text, canonical, in order (duplicates kept). */
export function references(text: string): string[] {
  return [...text.matchAll(REF)].map((m) => canonical(m[1]!));
}

/** Every reference anywhere in a JSON value (strings inside arrays and objects too). */
export function referencesIn(value: unknown): string[] {
  if (typeof value === 'string') return references(value);
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

export interface SubstituteOptions {
  /** Leave references the lookup does not know as they are (else: SubstitutionError). */
  keepUnknown?: boolean;
}

/** Replaces every reference in a string; a reference must resolve to a string here. */
export function substitute(text: string, lookup: Lookup, o: SubstituteOptions = {}): string {
  return text.replace(REF, (whole, inner: string) => {
    const ref = canonical(inner);
    const v = lookup(ref);
    if (v === undefined) {
      if (o.keepUnknown) return whole;
      throw new SubstitutionError('Unresolved', ref, `$(${ref}) does not resolve to anything`);
    }
    if (typeof v !== 'string') {
      throw new SubstitutionError(
        'NotAString',
        ref,
        `$(${ref}) is an ${Array.isArray(v) ? 'array' : 'object'}: inside a string only a string can be used (use $(${ref.replace(/\[\*\]$/, '')}[*]) as a whole array element, or one item)`,
      );
    }
    return v;
  });
}

/**
 * Replaces references in an array field: an element that is exactly one reference to an array
 * (`$(params.flags[*])`, or an array-valued reference) becomes that array's elements.
 */
export function substituteArray(
  items: readonly string[],
  lookup: Lookup,
  o: SubstituteOptions = {},
): string[] {
  return items.flatMap((item) => {
    const m = /^\$\(([^()]+)\)$/.exec(item.trim());
    if (m) {
      const ref = canonical(m[1]!);
      const v = lookup(ref);
      if (Array.isArray(v)) return v;
    }
    return [substitute(item, lookup, o)];
  });
}

/** Applies `substitute` to every string in a JSON value (arrays through `substituteArray`). */
export function substituteDeep<T>(value: T, lookup: Lookup, o: SubstituteOptions = {}): T {
  if (typeof value === 'string') return substitute(value, lookup, o) as T;
  if (Array.isArray(value)) {
    const flat = value.every((v) => typeof v === 'string')
      ? substituteArray(value as string[], lookup, o)
      : value.map((v: unknown) => substituteDeep(v, lookup, o));
    return flat as T;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteDeep(v, lookup, o)]),
    ) as T;
  }
  return value;
}
