/**
 * Parsing the flags `sluice app` shares with argocd (`--helm-set`, `--resource`,
 * `--kustomize-image`, `--sync-policy`, `--timeout`). Pure functions; a bad value is a usage
 * error (exit 2) whose message names the flag and the value.
 */
import { SluiceError } from '../../errors.ts';
import { isRecord } from '../../kube/types.ts';

/** Commander's accumulator for repeatable flags. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A usage error: exit code 2. */
export function usageError(message: string, hint?: string): SluiceError {
  return new SluiceError('BadFlag', message, { exitCode: 2, ...(hint ? { hint } : {}) });
}

export interface HelmParameter {
  name: string;
  value: string;
  forceString?: boolean;
}

/** `--helm-set name=value` (or `--helm-set-string`, which keeps the value a string). */
export function parseHelmSet(flag: string, s: string): HelmParameter {
  const i = s.indexOf('=');
  if (i < 1) throw usageError(`${flag} "${s}" must look like name=value`);
  return {
    name: s.slice(0, i),
    value: s.slice(i + 1),
    ...(flag === '--helm-set-string' ? { forceString: true } : {}),
  };
}

/** One object named by `app sync --resource`. */
export interface ResourceSelector {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** argocd's `GROUP:KIND:NAME` or `GROUP:KIND:NAMESPACE/NAME`; GROUP is empty for core kinds. */
export function parseResourceSelector(s: string): ResourceSelector {
  const format = 'GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (GROUP empty for core kinds)';
  const fields = s.split(':');
  if (fields.length !== 3)
    throw usageError(`--resource "${s}" must look like ${format}`, 'e.g. apps:Deployment:web');
  const [group = '', kind = '', rest = ''] = fields;
  if (s.startsWith('!') || s.includes('*'))
    throw usageError(
      `--resource "${s}": exclusions (!) and wildcards (*) are not supported`,
      'name each object to sync with its own --resource',
    );
  const slash = rest.split('/');
  if (slash.length > 2) throw usageError(`--resource "${s}": too many "/" in ${rest}`);
  const [namespace, name] = slash.length === 2 ? slash : [undefined, slash[0]];
  if (!kind) throw usageError(`--resource "${s}" names no KIND; expected ${format}`);
  if (!name) throw usageError(`--resource "${s}" names no NAME; expected ${format}`);
  return { group, kind, name, ...(namespace ? { namespace } : {}) };
}

/** The image an override applies to: `web=ghcr.io/o/web:2` → `web`; `ghcr.io/o/web:2` → `ghcr.io/o/web`. */
export function imageName(image: string): string {
  const eq = image.indexOf('=');
  if (eq > 0) return image.slice(0, eq);
  const noDigest = image.split('@')[0] ?? image;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

export type SyncPolicyFlag = 'automated' | 'none';

/** argocd's names: automated (auto, automatic) and none (manual). */
export function parseSyncPolicy(s: string): SyncPolicyFlag {
  if (['automated', 'auto', 'automatic'].includes(s)) return 'automated';
  if (['none', 'manual'].includes(s)) return 'none';
  throw usageError(`--sync-policy "${s}" must be automated or none (argocd: auto, manual)`);
}

/** `--timeout 60`: a positive number of seconds. */
export function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(`--timeout must be a positive number of seconds, got "${v}"`);
  return n;
}

export type PatchType = 'json' | 'merge';

/** The patch a person wrote, checked before it is sent; problems name what is wrong (exit 2). */
export function parsePatch(text: string, type: PatchType): unknown {
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (err) {
    throw usageError(
      `--patch is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      type === 'json'
        ? `a JSON patch looks like '[{"op": "replace", "path": "/spec/source/targetRevision", "value": "v2"}]'`
        : `a merge patch looks like '{"spec": {"source": {"targetRevision": "v2"}}}'`,
    );
  }
  if (type === 'merge') {
    if (!isRecord(patch)) throw usageError('--patch with --type merge must be a JSON object');
    return patch;
  }
  if (!Array.isArray(patch))
    throw usageError(
      '--patch with --type json must be a JSON array of operations',
      'or use --type merge',
    );
  const ops = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
  patch.forEach((op: unknown, i) => {
    if (!isRecord(op) || typeof op['op'] !== 'string' || !ops.includes(op['op']))
      throw usageError(`--patch operation ${i} needs "op", one of ${ops.join(', ')}`);
    if (typeof op['path'] !== 'string' || !(op['path'] === '' || op['path'].startsWith('/')))
      throw usageError(`--patch operation ${i} needs a "path" starting with /`);
  });
  return patch;
}
