/**
 * Checks a converted object against Sluice's schema (src/api, the same schemas the CRDs are
 * generated from), in two ways:
 * - TypeBox's `Value.Errors`: wrong types, values out of range, missing required fields;
 * - fields the schema does not have (TypeBox objects accept extra keys; the API server prunes
 *   them from a structural schema, or refuses them under strict field validation). Free-form
 *   parts (pod templates, Job specs) are not looked into.
 */
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import {
  ANALYSIS_RUN_KIND,
  ANALYSIS_TEMPLATE_KIND,
  AnalysisRunSpecSchema,
  AnalysisTemplateSpecSchema,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
} from '../api/analysis.ts';
import {
  ApplicationSpecSchema,
  KIND as APPLICATION_KIND,
  OperationSchema,
} from '../api/application.ts';
import { AppProjectSpecSchema, PROJECT_KIND } from '../api/project.ts';
import { ROLLOUT_KIND, RolloutSpecSchema } from '../api/rollout.ts';
import { FreeForm } from '../api/schema.ts';
import { formatPath, isJson, type Issue, type PathSeg } from './types.ts';

const envelope = (spec: TSchema, extra: Record<string, TSchema> = {}): TSchema =>
  Type.Object({
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: FreeForm(),
    spec,
    ...extra,
  });

/** The schema of each kind `sluice convert` writes. */
export const SCHEMAS: Record<string, TSchema> = {
  [ROLLOUT_KIND]: envelope(RolloutSpecSchema),
  [ANALYSIS_TEMPLATE_KIND]: envelope(AnalysisTemplateSpecSchema),
  [CLUSTER_ANALYSIS_TEMPLATE_KIND]: envelope(AnalysisTemplateSpecSchema),
  [ANALYSIS_RUN_KIND]: envelope(AnalysisRunSpecSchema),
  [APPLICATION_KIND]: envelope(ApplicationSpecSchema, {
    operation: Type.Optional(OperationSchema),
  }),
  [PROJECT_KIND]: envelope(AppProjectSpecSchema),
};

type Found = Omit<Issue, 'object'>;

/** `/spec/steps/0/setWeight` -> `spec.steps[0].setWeight`. */
function pointerToPath(pointer: string): string {
  const segs: PathSeg[] = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return formatPath(segs);
}

interface SchemaError {
  instancePath: string;
  message: string;
  keyword: string;
  params: unknown;
}

function schemaIssue(e: SchemaError): Found {
  const path = pointerToPath(e.instancePath);
  const required = isJson(e.params) ? e.params['requiredProperties'] : undefined;
  if (e.keyword === 'required' && Array.isArray(required)) {
    const names = required.map(String);
    const at = names.length === 1 ? `${path ? `${path}.` : ''}${names[0] ?? ''}` : path;
    return { path: at, kind: 'schema', message: `required: ${names.join(', ')} must be set` };
  }
  const allowed = isJson(e.params) ? e.params['allowedValues'] : undefined;
  const suffix = Array.isArray(allowed) ? ` (${allowed.map(String).join(', ')})` : '';
  return { path, kind: 'schema', message: `${e.message}${suffix}` };
}

/** Paths of fields the schema does not have. */
export function unknownFields(schema: unknown, value: unknown, path: PathSeg[] = []): string[] {
  if (!isJson(schema) || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value))
    return value.flatMap((v: unknown, i) => unknownFields(schema['items'], v, [...path, i]));
  const props = schema['properties'];
  if (!isJson(value) || !isJson(props)) return [];
  const extra = schema['additionalProperties'];
  return Object.entries(value).flatMap(([key, v]) => {
    const sub: unknown = props[key] ?? (isJson(extra) ? extra : undefined);
    return sub === undefined ? [formatPath([...path, key])] : unknownFields(sub, v, [...path, key]);
  });
}

/** What is wrong with a converted object of `kind`, by field path. */
export function validate(kind: string, obj: unknown): Found[] {
  const schema = SCHEMAS[kind];
  if (!schema) return [];
  const errors = [...Value.Errors(schema, obj)] as SchemaError[];
  return [
    ...unknownFields(schema, obj).map((path): Found => ({
      path,
      kind: 'unknown-field',
      message: `Sluice's ${kind} has no such field: the API server drops it (or, with strict field validation, refuses the object)`,
    })),
    ...errors.map(schemaIssue),
  ];
}
