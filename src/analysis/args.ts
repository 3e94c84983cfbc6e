/**
 * Arguments of analysis: `{{args.name}}` in a metric (query, url, body, headers, job spec,
 * conditions, counts: every string, as Argo Rollouts does) is replaced by the argument's value.
 * An unknown argument is an error naming it and the arguments there are.
 *
 * `resolveArgs` is what the Rollout controller calls before creating a run: it fills in
 * `valueFrom.podTemplateHashValue` (Stable / Latest) and `valueFrom.fieldRef` (a field of the
 * Rollout); `secretKeyRef` stays for the AnalysisRun controller to read when it measures.
 */
import type { Argument, Metric } from '../api/analysis.ts';
import type { KubeObject } from '../kube/types.ts';
import { AnalysisError } from './errors.ts';
import { parsePath, readPath } from './jsonpath.ts';

export type ArgValues = ReadonlyMap<string, string>;

const TAG = /\{\{\s*args\.([^}\s]+)\s*\}\}/g;

/** `text` with every `{{args.x}}` replaced; `where` names the field in errors. */
export function substitute(text: string, args: ArgValues, where: string): string {
  return text.replace(TAG, (_tag, name: string) => {
    const v = args.get(name);
    if (v !== undefined) return v;
    const known = [...args.keys()];
    throw new AnalysisError(
      'UnknownArgument',
      `${where} uses {{args.${name}}}, which is not an argument (${known.length ? `arguments: ${known.join(', ')}` : 'the run has no arguments'})`,
      { subject: name, hint: `add {name: ${name}} to the template's args and pass a value` },
    );
  });
}

/** A copy of `value` with arguments substituted in every string. */
function substituteDeep(value: unknown, args: ArgValues, where: string): unknown {
  if (typeof value === 'string') return substitute(value, args, where);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, args, where));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteDeep(v, args, where);
    return out;
  }
  return value;
}

/** The metric with `{{args.x}}` replaced everywhere (its name excepted). */
export function substituteMetric(metric: Metric, args: ArgValues): Metric {
  const { name, ...rest } = metric;
  return { name, ...(substituteDeep(rest, args, `metric ${name}`) as Omit<Metric, 'name'>) };
}

/**
 * Values of a run's arguments; `secret(name, key)` reads a `secretKeyRef`. An argument without
 * a value is a MissingArgument error naming it.
 */
export async function argValues(
  args: readonly Argument[] | undefined,
  secret: (name: string, key: string) => Promise<string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const a of args ?? []) {
    const ref = a.valueFrom?.secretKeyRef;
    if (a.value !== undefined) out.set(a.name, a.value);
    else if (ref) out.set(a.name, await secret(ref.name, ref.key));
    else throw missing(a.name);
  }
  return out;
}

export const missing = (name: string): AnalysisError =>
  new AnalysisError('MissingArgument', `argument ${name} has no value`, {
    subject: name,
    hint: `pass it in the Rollout's analysis args: {name: ${name}, value: ...}`,
  });

export interface ResolveContext {
  /** The stable ReplicaSet's pod-template hash (the latest one on a first rollout). */
  stableHash: string | undefined;
  latestHash: string;
  /** The Rollout whose fields `fieldRef` reads. */
  rollout: KubeObject;
}

/**
 * The Rollout's analysis arguments with `podTemplateHashValue` and `fieldRef` turned into
 * values. Throws MissingArgument / InvalidFieldRef naming the argument.
 *
 * @example
 * resolveArgs([{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
 *   { stableHash: 'abc', latestHash: 'def', rollout }) // [{ name: 'hash', value: 'def' }]
 */
export function resolveArgs(
  args: readonly Argument[] | undefined,
  ctx: ResolveContext,
): Argument[] {
  return (args ?? []).map((a) => {
    const from = a.valueFrom;
    if (a.value !== undefined || !from || from.secretKeyRef) return a;
    if (from.podTemplateHashValue) {
      const hash =
        from.podTemplateHashValue === 'Stable'
          ? (ctx.stableHash ?? ctx.latestHash)
          : ctx.latestHash;
      return { name: a.name, value: hash };
    }
    if (from.fieldRef)
      return { name: a.name, value: fieldValue(a.name, from.fieldRef.fieldPath, ctx.rollout) };
    throw missing(a.name);
  });
}

function fieldValue(arg: string, path: string, rollout: KubeObject): string {
  const v = readPath(rollout, parsePath(path, `argument ${arg}: fieldRef`));
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const ref = `${rollout.kind}/${rollout.metadata.namespace ?? ''}/${rollout.metadata.name ?? ''}`;
  throw new AnalysisError(
    'InvalidFieldRef',
    v === undefined
      ? `argument ${arg}: ${ref} has no field ${path}`
      : `argument ${arg}: field ${path} of ${ref} is not a string, number or boolean`,
    { subject: arg },
  );
}
