/**
 * Acknowledging a refresh asked for with the `sluice.dev/refresh` annotation (by `sluice app get
 * --refresh` or `sluice server`): once a reconcile has fetched and compared again, the controller
 * removes the annotation, as Argo CD does with its own. Whoever asked waits for that, so a refresh
 * that changed nothing in the status is still seen as done. Removal is guarded by the
 * resourceVersion and only takes away the value that was handled: a newer request stays.
 */
import type { Application } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { KubeApiError } from '../kube/errors.ts';
import { REFRESH_ANNOTATION } from './annotations.ts';

/** The refresh a reconcile of this copy of the app handles, if one was asked for. */
export const refreshStamp = (app: Application): string | undefined =>
  app.metadata.annotations?.[REFRESH_ANNOTATION];

/** Removes the annotation if it still holds `stamp`; a few tries when others write meanwhile. */
export async function acknowledgeRefresh(
  kube: Kube,
  app: Application,
  stamp: string,
): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const live = await kube.get<Application>(
      app.apiVersion,
      app.kind,
      app.metadata.namespace,
      app.metadata.name,
    );
    if (!live || refreshStamp(live) !== stamp) return;
    try {
      await kube.mergePatch(live, {
        metadata: {
          resourceVersion: live.metadata.resourceVersion,
          annotations: { [REFRESH_ANNOTATION]: null },
        },
      });
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.conflict || err.notFound))) throw err;
    }
  }
}
