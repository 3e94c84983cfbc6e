/**
 * The container images an app deploys, for `status.summary.images` (Argo CD's field, which
 * scripts and promotion tools read): every `image` of the containers, init containers and
 * ephemeral containers in the pod templates of the desired objects — Pods, Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Rollouts, and any kind with a
 * `spec.template.spec.containers` — sorted, each once, at most IMAGE_LIMIT. Pure.
 */
import { isRecord, type KubeObject } from '../kube/types.ts';

export const IMAGE_LIMIT = 100;

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** The pod spec inside an object, wherever its kind keeps it. */
function podSpec(o: KubeObject): Record<string, unknown> | undefined {
  const spec = o['spec'];
  if (!isRecord(spec)) return undefined;
  if (o.kind === 'Pod') return spec;
  if (o.kind === 'CronJob') {
    const job = spec['jobTemplate'];
    const tmpl = isRecord(job) && isRecord(job['spec']) ? job['spec']['template'] : undefined;
    return isRecord(tmpl) && isRecord(tmpl['spec']) ? tmpl['spec'] : undefined;
  }
  const tmpl = spec['template'];
  return isRecord(tmpl) && isRecord(tmpl['spec']) ? tmpl['spec'] : undefined;
}

/** The images of one object's pod template (none for kinds without one). */
export function imagesOf(o: KubeObject): string[] {
  const spec = podSpec(o);
  if (!spec) return [];
  const out: string[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      if (isRecord(c) && typeof c['image'] === 'string' && c['image'] !== '') out.push(c['image']);
    }
  }
  return out;
}

/** Every image of `objects`, sorted, each once, at most `limit`. */
export function appImages(objects: Iterable<KubeObject>, limit = IMAGE_LIMIT): string[] {
  const all = new Set<string>();
  for (const o of objects) for (const i of imagesOf(o)) all.add(i);
  return [...all].sort().slice(0, limit);
}
