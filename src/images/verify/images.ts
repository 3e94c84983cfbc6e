/**
 * The images a revision would run (pure): every container, init container and ephemeral
 * container image in the pod specs of its objects and hooks (gitops/images.ts knows where each
 * kind keeps its pod spec), each with the objects that use it, for messages that name them.
 *
 * @example
 * planImages([deployment]) // [{ image: 'localhost:5000/web:v1', objects: ['Deployment shop/web'] }]
 */
import { imagesOf } from '../../gitops/images.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface UsedImage {
  image: string;
  /** `Kind namespace/name` of each object that runs it. */
  objects: string[];
}

const describe = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Every image of `objects`, sorted, each once with its objects. */
export function planImages(objects: Iterable<KubeObject>): UsedImage[] {
  const by = new Map<string, string[]>();
  for (const o of objects) {
    for (const image of new Set(imagesOf(o))) {
      const list = by.get(image) ?? [];
      list.push(describe(o));
      by.set(image, list);
    }
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([image, objects]) => ({ image, objects }));
}
