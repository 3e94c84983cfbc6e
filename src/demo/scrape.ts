/**
 * What the demo's Prometheus scrapes: every running pod of a namespace on the real node, each
 * one a target `podIP:port` (the host routes the node's pod CIDR; see devcluster/prometheus.ts
 * for why pods and not a Service), kept current from a watch of the pods. Each pod's series
 * carry `namespace`, `pod` and the pod's labels, with `-`, `.` and `/` spelt `_`
 * (`rollouts_pod_template_hash`), as Prometheus' Kubernetes discovery would name them.
 */
import type { TargetGroup } from '../devcluster/prometheus.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';

export interface Pod extends KubeObject {
  status?: { phase?: string; podIP?: string };
}

/** A label name Prometheus accepts: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const promLabel = (name: string): string => {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(s) ? s : `_${s}`;
};

/** One target group per running pod with an IP, sorted by pod name. */
export function podTargets(pods: readonly Pod[], port: number): TargetGroup[] {
  return pods
    .filter((p) => p.status?.phase === 'Running' && p.status.podIP)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((p) => {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.metadata.labels ?? {})) labels[promLabel(k)] = v;
      labels['namespace'] = p.metadata.namespace ?? '';
      labels['pod'] = p.metadata.name ?? '';
      return { targets: [`${p.status?.podIP ?? ''}:${port}`], labels };
    });
}

export interface PodScrape {
  stop(): void;
}

/**
 * Keeps `write` called with the targets of the pods in `namespace` (after every change, the
 * latest list, never two writes at once); resolves once the first list is written.
 */
export async function scrapePods(
  kube: Kube,
  namespace: string,
  port: number,
  write: (groups: TargetGroup[]) => Promise<void>,
  onError: (err: unknown) => void,
): Promise<PodScrape> {
  const pods = new Informer<Pod>(kube, { apiVersion: 'v1', kind: 'Pod', namespace, onError });
  let writing: Promise<void> | undefined;
  let again = false;
  const flush = async (): Promise<void> => {
    do {
      again = false;
      await write(podTargets(pods.list(), port)).catch(onError);
    } while (again);
    writing = undefined;
  };
  const changed = (): void => {
    if (writing) again = true;
    else writing = flush();
  };
  pods.on(changed);
  await pods.start();
  changed();
  await writing;
  return { stop: () => pods.stop() };
}
