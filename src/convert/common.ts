/**
 * Rules every converted object shares: the new apiVersion, and no trace of a live object
 * (`status`, `uid`, `resourceVersion`, managedFields, kubectl's last-applied annotation, which
 * still names the old group) so `kubectl get -o yaml` output converts into a manifest.
 */
import { API_VERSION } from '../api/application.ts';
import { isJson, type Edit, type Json, type Rewrite } from './types.ts';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
export const SLUICE_API_VERSION = API_VERSION;

const SERVER_SET = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
] as const;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function baseRewrite(obj: Json): Rewrite {
  const edits: Edit[] = [{ op: 'set', path: ['apiVersion'], value: SLUICE_API_VERSION }];
  const dropped: string[] = [];
  if (obj['status'] !== undefined) {
    edits.push({ op: 'delete', path: ['status'] });
    dropped.push('status');
  }
  const meta = isJson(obj['metadata']) ? obj['metadata'] : {};
  for (const f of SERVER_SET) {
    if (meta[f] === undefined) continue;
    edits.push({ op: 'delete', path: ['metadata', f] });
    dropped.push(`metadata.${f}`);
  }
  const annotations = isJson(meta['annotations']) ? meta['annotations'] : {};
  if (annotations[LAST_APPLIED] !== undefined) {
    const only = Object.keys(annotations).length === 1;
    edits.push({
      op: 'delete',
      path: only ? ['metadata', 'annotations'] : ['metadata', 'annotations', LAST_APPLIED],
    });
    dropped.push(`the ${LAST_APPLIED} annotation`);
  }
  const issues: Rewrite['issues'] =
    dropped.length === 0
      ? []
      : [
          {
            path: '',
            kind: 'changed',
            message: `dropped what the cluster set on the live object: ${dropped.join(', ')}`,
          },
        ];
  return { edits, issues };
}
