/**
 * Where an object belongs, read the same way by every source (and by DORA): its Application
 * (itself, or the one whose tracking id it carries), its environment (the label
 * `sluice.dev/environment`, else the given fallback, else its namespace), and the commit it is
 * about (annotations `sluice.dev/revision` / `sluice.dev/repo-url`, which triggers write on the
 * runs they start).
 */
import { appOfTrackingId, TRACKING_ANNOTATION } from '../../gitops/annotations.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { AppRef } from './types.ts';

export const ENVIRONMENT_LABEL = 'sluice.dev/environment';
export const REVISION_ANNOTATION = 'sluice.dev/revision';
export const REPO_URL_ANNOTATION = 'sluice.dev/repo-url';

/** The Application managing `obj` (from its tracking id), if any. */
export function managingApp(obj: KubeObject): AppRef | undefined {
  return appOfTrackingId(obj.metadata.annotations?.[TRACKING_ANNOTATION]);
}

export function environmentOf(obj: KubeObject, fallback?: string): string {
  return obj.metadata.labels?.[ENVIRONMENT_LABEL] || fallback || obj.metadata.namespace || '';
}

/** The first 7 characters of a commit SHA (as Git shows it); other revisions as they are. */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return '';
  return /^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 7) : revision;
}

/** A time from status, or `fallback` when it is missing or unreadable. */
export function timeOr(value: string | undefined, fallback: Date): string {
  return value && !Number.isNaN(Date.parse(value)) ? value : fallback.toISOString();
}
