/**
 * Where an object belongs, read the same way by every source (and by DORA): its Application
 * (itself, or the one whose tracking id it carries), its environment (the label
 * `sluice.dev/environment`, else the given fallback, else its namespace), and the commit it is
 * about (annotations `sluice.dev/revision` / `sluice.dev/repo-url`, which triggers write on the
 * runs they start), and the link to that commit on its forge.
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

/** `https://host/org/repo/commit/<sha>` for https, ssh:// and scp-like (git@host:org/repo) URLs. */
export function commitURL(repoURL: string | undefined, revision: string | undefined): string {
  if (!repoURL || !revision || !/^[0-9a-f]{7,40}$/i.test(revision)) return '';
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(repoURL);
  let host: string;
  let path: string;
  if (scp) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    let u: URL;
    try {
      u = new URL(repoURL);
    } catch {
      return '';
    }
    if (!['https:', 'http:', 'ssh:'].includes(u.protocol)) return '';
    host = u.hostname;
    path = u.pathname;
  }
  const clean = path
    .replace(/^\/+/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return clean ? `https://${host}/${clean}/commit/${revision}` : '';
}
