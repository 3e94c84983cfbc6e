/**
 * Schema helpers: TypeBox builders that produce Kubernetes structural schemas (no
 * patternProperties, no $ref), so one definition gives both the TypeScript type (`Static<>`) and
 * the CRD's openAPIV3Schema.
 */
import { Type, type TSchema, type TUnsafe } from 'typebox';

/** `map[string]string`. */
export const StringMap = (description?: string): TUnsafe<Record<string, string>> =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...(description ? { description } : {}),
  });

/** `map[string]int64`: counts by key (e.g. results by action). */
export const CountMap = <K extends string = string>(
  description?: string,
): TUnsafe<Partial<Record<K, number>>> =>
  Type.Unsafe<Partial<Record<K, number>>>({
    type: 'object',
    additionalProperties: { type: 'integer' },
    ...(description ? { description } : {}),
  });

/** Any JSON object, kept as is by the API server. */
export const FreeForm = (description?: string): TUnsafe<Record<string, unknown>> =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...(description ? { description } : {}),
  });

/** A string restricted to some values (emitted as `enum`, which CRDs understand). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  description?: string,
): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  });

/** Strips TypeBox's internal keys (symbols and `~` markers) so the schema is plain JSON. */
export function toOpenAPI(schema: TSchema): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) => (key.startsWith('~') ? undefined : value)),
  ) as Record<string, unknown>;
}

/** Kubernetes' IntOrString (`3` or `"25%"`). */
export const IntOrString = (description?: string): TUnsafe<number | string> =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    ...(description ? { description } : {}),
  });
