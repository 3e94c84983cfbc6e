/**
 * `sluice server`: the HTTP API as its own process, apart from the controller. A push webhook
 * here marks the matching Applications with the refresh annotation; the controller (wherever it
 * runs, whoever leads) sees the change through its watch and fetches at once.
 */
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import type { Kube } from '../kube/api.ts';
import { mapLimit } from '../util/semaphore.ts';
import type { PushEvent } from './webhook.ts';
import { pushMatches } from './webhook.ts';

/** Annotates every Application the push touches; returns their `namespace/name`. */
export async function refreshByAnnotation(
  kube: Kube,
  event: PushEvent,
  namespaces?: readonly string[],
): Promise<string[]> {
  const lists = namespaces?.length
    ? await Promise.all(
        namespaces.map((namespace) => kube.list<Application>(API_VERSION, KIND, { namespace })),
      )
    : [await kube.list<Application>(API_VERSION, KIND)];
  const matching = lists.flatMap((l) => l.items).filter((a) => pushMatches(a, event));
  const stamp = new Date().toISOString();
  await mapLimit(matching, 16, (a) =>
    kube.mergePatch(a, { metadata: { annotations: { [REFRESH_ANNOTATION]: stamp } } }),
  );
  return matching.map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
}
