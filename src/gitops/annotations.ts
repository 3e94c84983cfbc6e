/**
 * The annotations and labels Sluice reads and writes on managed objects, and their parsing.
 *
 * Read (Sluice's own first, then Argo CD's and Helm's so existing manifests carry over):
 * - sync wave: `sluice.dev/sync-wave`, `argocd.argoproj.io/sync-wave`; Helm hooks: `helm.sh/hook-weight`
 * - hook: `sluice.dev/hook`, `argocd.argoproj.io/hook` (PreSync, Sync, PostSync, SyncFail, Skip);
 *   `helm.sh/hook` (pre-install/pre-upgrade -> PreSync, post-install/post-upgrade -> PostSync)
 * - hook delete policy: `sluice.dev/hook-delete-policy`, `argocd.argoproj.io/hook-delete-policy`,
 *   `helm.sh/hook-delete-policy` (before-hook-creation, hook-succeeded, hook-failed)
 * - per-object options: `sluice.dev/sync-options`, `argocd.argoproj.io/sync-options` (`Prune=false`)
 * Written: `sluice.dev/tracking-id` (annotation) and `sluice.dev/managed` (label, lets the
 * controller watch only what it manages).
 */
import type { HookType } from '../api/application.ts';
import type { KubeObject, ObjectRef } from '../kube/types.ts';

export const TRACKING_ANNOTATION = 'sluice.dev/tracking-id';
export const MANAGED_LABEL = 'sluice.dev/managed';
export const MANAGED_SELECTOR = `${MANAGED_LABEL}=true`;
export const FIELD_MANAGER = 'sluice';
export const FINALIZER = 'sluice.dev/resources-finalizer';
/**
 * Argo CD's names for the same finalizer: an Application brought over with only its apiVersion
 * changed keeps them, and must cascade (and be released) exactly as with Sluice's own.
 */
export const ARGO_FINALIZERS = [
  'resources-finalizer.argocd.argoproj.io',
  'resources-finalizer.argocd.argoproj.io/background',
  'resources-finalizer.argocd.argoproj.io/foreground',
];
const CASCADE_FINALIZERS = new Set([FINALIZER, ...ARGO_FINALIZERS]);

/** Is `name` a finalizer that asks for a cascading delete (Sluice's or Argo CD's)? */
export function isCascadeFinalizer(name: string): boolean {
  return CASCADE_FINALIZERS.has(name);
}

/** Does the object carry a cascade finalizer? */
export function cascades(obj: KubeObject): boolean {
  return (obj.metadata.finalizers ?? []).some(isCascadeFinalizer);
}
/** Changing this annotation on an Application makes the controller fetch its source now. */
export const REFRESH_ANNOTATION = 'sluice.dev/refresh';
/** A new value on a quarantined Application lets its render be tried once more (quarantine.ts). */
export const QUARANTINE_RELEASE_ANNOTATION = 'sluice.dev/quarantine-release';

export type DeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

const first = (obj: KubeObject, keys: readonly string[]): string | undefined => {
  const a = obj.metadata.annotations;
  if (!a) return undefined;
  for (const k of keys) if (a[k] !== undefined) return a[k];
  return undefined;
};

/** `<app-namespace>_<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(appNamespace: string, app: string, ref: ObjectRef): string {
  return `${appNamespace}_${app}:${ref.group}/${ref.kind}:${ref.namespace}/${ref.name}`;
}

/** The `<app-namespace>/<app>` a tracking id belongs to, or undefined if it is not one. */
export function appOfTrackingId(
  id: string | undefined,
): { namespace: string; name: string } | undefined {
  if (!id) return undefined;
  const m = /^([^_:]+)_([^:]+):/.exec(id);
  return m ? { namespace: m[1] ?? '', name: m[2] ?? '' } : undefined;
}

const HELM_HOOKS: Record<string, HookType | undefined> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

/** The hook types of an object; empty for a normal resource. `Skip` objects return ['Skip']. */
export function hookTypes(obj: KubeObject): Array<HookType | 'Skip'> {
  const own = first(obj, ['sluice.dev/hook', 'argocd.argoproj.io/hook']);
  if (own !== undefined) {
    return own
      .split(',')
      .map((s) => s.trim())
      .filter((s): s is HookType | 'Skip' =>
        ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'Skip'].includes(s),
      );
  }
  const helm = first(obj, ['helm.sh/hook']);
  if (helm === undefined) return [];
  const mapped = new Set<HookType>();
  for (const h of helm.split(',').map((s) => s.trim())) {
    const t = HELM_HOOKS[h];
    if (t) mapped.add(t);
  }
  return [...mapped];
}

export function syncWave(obj: KubeObject): number {
  const raw =
    first(obj, ['sluice.dev/sync-wave', 'argocd.argoproj.io/sync-wave']) ??
    (first(obj, ['helm.sh/hook']) !== undefined ? first(obj, ['helm.sh/hook-weight']) : undefined);
  const n = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? n : 0;
}

const POLICIES: Record<string, DeletePolicy> = {
  beforehookcreation: 'BeforeHookCreation',
  'before-hook-creation': 'BeforeHookCreation',
  hooksucceeded: 'HookSucceeded',
  'hook-succeeded': 'HookSucceeded',
  hookfailed: 'HookFailed',
  'hook-failed': 'HookFailed',
};

/** Delete policies of a hook; BeforeHookCreation when none is given (Argo CD's default). */
export function deletePolicies(obj: KubeObject): Set<DeletePolicy> {
  const raw = first(obj, [
    'sluice.dev/hook-delete-policy',
    'argocd.argoproj.io/hook-delete-policy',
    'helm.sh/hook-delete-policy',
  ]);
  const set = new Set<DeletePolicy>();
  for (const p of (raw ?? '').split(',')) {
    const policy = POLICIES[p.trim().toLowerCase()];
    if (policy) set.add(policy);
  }
  if (set.size === 0) set.add('BeforeHookCreation');
  return set;
}

/** Parses `A=true,B=false` lists (object annotations and `syncPolicy.syncOptions`). */
export function parseOptions(items: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of items.flatMap((i) => i.split(','))) {
    const [k, v] = item.split('=');
    if (k && k.trim()) map.set(k.trim(), (v ?? 'true').trim());
  }
  return map;
}

export function objectSyncOptions(obj: KubeObject): Map<string, string> {
  const raw = first(obj, ['sluice.dev/sync-options', 'argocd.argoproj.io/sync-options']);
  return parseOptions(raw ? [raw] : []);
}

export function optionEnabled(options: Map<string, string>, name: string): boolean {
  return options.get(name)?.toLowerCase() === 'true';
}

export function optionDisabled(options: Map<string, string>, name: string): boolean {
  return options.get(name)?.toLowerCase() === 'false';
}
