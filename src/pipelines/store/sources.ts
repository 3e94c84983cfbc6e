/**
 * Which values of a run are secret, for its SecretSet.
 *
 * - Secret params. Tekton has no such marking, so Sluice reads an annotation Tekton ignores
 *   (the manifests stay valid Tekton): `sluice.dev/secret-params: "token, password"` on a Task,
 *   a Pipeline, an inline `taskSpec.metadata`, or the PipelineRun / TaskRun itself, names params
 *   of that object whose values are secret. Their values are masked wherever they appear (also
 *   after flowing into another task's param), and those params are recorded as `***`.
 * - Secret-sourced env: `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef` of steps,
 *   `stepTemplate` and sidecars, and Secret workspaces: `secretRefs()` lists them, the caller
 *   reads the Secrets (`secretValues()` decodes them).
 */
import type { Param, ParamValue, TaskSpec, WorkspaceBinding } from '../../api/pipeline.ts';
import { isRecord, type KubeObject } from '../../kube/types.ts';
import { SecretSet } from './secrets.ts';

export const SECRET_PARAMS_ANNOTATION = 'sluice.dev/secret-params';

/** The param names an object marks secret (comma- or space-separated). */
export function secretParamNames(annotations: Record<string, string> | undefined): Set<string> {
  const raw = annotations?.[SECRET_PARAMS_ANNOTATION] ?? '';
  return new Set(raw.split(/[\s,]+/).filter((n) => n !== ''));
}

function flatten(value: ParamValue): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value : Object.values(value);
}

/** The values of the params named in `names` (array elements and object values each). */
export function secretParamValues(params: readonly Param[], names: ReadonlySet<string>): string[] {
  return params.filter((p) => names.has(p.name)).flatMap((p) => flatten(p.value));
}

/** A Secret to read: one key, or (`key` undefined) all of them. */
export interface SecretRef {
  secretName: string;
  key?: string | undefined;
}

function envRefs(container: unknown): SecretRef[] {
  if (!isRecord(container)) return [];
  const refs: SecretRef[] = [];
  for (const e of Array.isArray(container['env']) ? container['env'] : []) {
    const ref = isRecord(e) && isRecord(e['valueFrom']) ? e['valueFrom']['secretKeyRef'] : null;
    if (isRecord(ref) && typeof ref['name'] === 'string' && typeof ref['key'] === 'string')
      refs.push({ secretName: ref['name'], key: ref['key'] });
  }
  for (const e of Array.isArray(container['envFrom']) ? container['envFrom'] : []) {
    const ref = isRecord(e) ? e['secretRef'] : null;
    if (isRecord(ref) && typeof ref['name'] === 'string') refs.push({ secretName: ref['name'] });
  }
  return refs;
}

/** The Secrets a task's steps and its Secret workspaces read. */
export function secretRefs(
  spec: TaskSpec,
  workspaces: readonly WorkspaceBinding[] = [],
): SecretRef[] {
  const refs = [spec.stepTemplate, ...spec.steps, ...(spec.sidecars ?? [])].flatMap(envRefs);
  for (const w of workspaces) {
    const name = isRecord(w.secret) ? w.secret['secretName'] : undefined;
    if (typeof name === 'string') refs.push({ secretName: name });
  }
  const seen = new Set<string>();
  return refs.filter((r) => {
    const id = `${r.secretName}\u0000${r.key ?? ''}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/** The values `refs` select from the Secrets `read` returns (base64 `data` decoded). */
export async function secretValues(
  refs: readonly SecretRef[],
  read: (secretName: string) => Promise<KubeObject | undefined>,
): Promise<string[]> {
  const secrets = new Map<string, Promise<KubeObject | undefined>>();
  const values: string[] = [];
  for (const ref of refs) {
    let secret = secrets.get(ref.secretName);
    if (!secret) secrets.set(ref.secretName, (secret = read(ref.secretName)));
    const data = (await secret)?.['data'];
    if (!isRecord(data)) continue;
    for (const [k, v] of Object.entries(data))
      if (typeof v === 'string' && (ref.key === undefined || ref.key === k))
        values.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  return values;
}

/** What is secret in one run, from its objects and params. */
export interface RunSecrets {
  /** Annotations of the objects that mark params secret (run, Pipeline, Tasks). */
  annotations?: ReadonlyArray<Record<string, string> | undefined>;
  /** Params with their values: the run's, and each task's resolved ones. */
  params?: readonly Param[];
  /** Secret-sourced values (`secretValues()`). */
  values?: readonly string[];
}

/** The SecretSet of a run. */
export function runSecrets(input: RunSecrets): SecretSet {
  const names = new Set<string>();
  for (const a of input.annotations ?? []) for (const n of secretParamNames(a)) names.add(n);
  return new SecretSet(
    [...(input.values ?? []), ...secretParamValues(input.params ?? [], names)],
    names,
  );
}
