/**
 * `sluice server`: the HTTP API as its own process, apart from the controller. A push webhook
 * here marks the matching Applications and Triggers with the refresh annotation; the controller
 * (wherever it runs, whoever leads) sees the change through its watch and fetches (an app) or
 * checks the repository (a Trigger) at once.
 */
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { TRIGGER_KIND, type Trigger } from '../api/trigger.ts';
import { pushConcerns } from '../delivery/triggers/index.ts';
import { REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import type { Kube } from '../kube/api.ts';
import { KubeApiError } from '../kube/errors.ts';
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

/**
 * Annotates every Trigger (any namespace) the push concerns; returns their `namespace/name`.
 * A server whose RBAC cannot list Triggers refreshes none (Applications still are).
 */
export async function refreshTriggers(kube: Kube, event: PushEvent): Promise<string[]> {
  let triggers: Trigger[];
  try {
    triggers = (await kube.list<Trigger>(API_VERSION, TRIGGER_KIND)).items;
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) return [];
    throw err;
  }
  const matching = triggers.filter((t) => pushConcerns(t, event));
  const stamp = new Date().toISOString();
  await mapLimit(matching, 16, (t) =>
    kube.mergePatch(t, { metadata: { annotations: { [REFRESH_ANNOTATION]: stamp } } }),
  );
  return matching.map((t) => `Trigger/${t.metadata.namespace}/${t.metadata.name}`);
}
