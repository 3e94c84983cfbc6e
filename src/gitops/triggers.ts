/**
 * Which Application events need a reconcile, and with what flags: the rules the Application
 * controller gives the runtime. Pure functions, tested in triggers.test.ts.
 */
import type { Application } from '../api/application.ts';
import { normalizeRepoURL } from '../source/index.ts';
import { QUARANTINE_RELEASE_ANNOTATION, REFRESH_ANNOTATION } from './annotations.ts';

/** Flags of a queued Application. */
export interface AppFlags {
  /**
   * Fetch sources before reconciling: `always` (poll, webhook, user refresh), or `ifStale` (a new
   * or changed app: unless the repository was fetched in the last few seconds).
   */
  refresh?: 'always' | 'ifStale';
}

export function mergeAppFlags(a: AppFlags, b: AppFlags): AppFlags {
  const refresh =
    a.refresh === 'always' || b.refresh === 'always' ? 'always' : (a.refresh ?? b.refresh);
  return refresh ? { refresh } : {};
}

/**
 * Whether an app event needs a reconcile, and how fresh its source must be: a person asked (a
 * sync, the refresh annotation) -> fetch now; a new or changed app -> fetch unless the repository
 * was fetched a moment ago (a thousand new apps cost ten fetches, not a thousand). Status-only
 * updates (our own writes) need nothing.
 */
export function refreshFor(
  app: Application,
  old: Application | undefined,
): 'always' | 'ifStale' | undefined {
  if (!old) return 'ifStale';
  // A new value asks; the controller removing the value it handled (acknowledging) does not.
  const stamp = app.metadata.annotations?.[REFRESH_ANNOTATION];
  const refreshAsked =
    stamp !== undefined && old.metadata.annotations?.[REFRESH_ANNOTATION] !== stamp;
  const operationChanged = JSON.stringify(old.operation) !== JSON.stringify(app.operation);
  if (refreshAsked || (operationChanged && app.operation)) return 'always';
  const released =
    old.metadata.annotations?.[QUARANTINE_RELEASE_ANNOTATION] !==
    app.metadata.annotations?.[QUARANTINE_RELEASE_ANNOTATION];
  const changed =
    released ||
    operationChanged ||
    old.metadata.generation !== app.metadata.generation ||
    old.metadata.deletionTimestamp !== app.metadata.deletionTimestamp;
  return changed ? 'ifStale' : undefined;
}

/** The runtime's event filter: flags to queue with, or undefined for "nothing to do". */
export function appEventFlags(
  app: Application,
  old: Application | undefined,
): AppFlags | undefined {
  const refresh = refreshFor(app, old);
  if (refresh) return { refresh };
  // `sluice app terminate-op` writes phase Terminating into the status: act on it now.
  const phase = app.status?.operationState?.phase;
  if (phase === 'Terminating' && old?.status?.operationState?.phase !== 'Terminating') return {};
  return undefined;
}

/** Did the app's readiness (what dependents wait for) change? */
export function readinessChanged(old: Application, app: Application): boolean {
  return (
    old.status?.sync?.status !== app.status?.sync?.status ||
    old.status?.health?.status !== app.status?.health?.status
  );
}

/** Index: the apps an app depends on, as `namespace/name` (find dependents of X by X's key). */
export function dependencyKeys(app: Application): string[] {
  return (app.spec.dependsOn ?? []).map(
    (d) => `${d.namespace ?? app.metadata.namespace}/${d.name}`,
  );
}

/** Index: the app's repository, normalized (what a push names). */
export function repositoryKeys(app: Application): string[] {
  try {
    return [normalizeRepoURL(app.spec.source.repoURL)];
  } catch {
    return [];
  }
}
