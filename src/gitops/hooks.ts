/**
 * Hooks, as steps: `startHook` deletes the previous run (BeforeHookCreation) and creates the
 * hook; `observeHook` reads it from the watch cache and says whether it still runs, succeeded or
 * failed (Jobs and Pods by their health; other kinds are done once created), applying its delete
 * policy (HookSucceeded / HookFailed) when it ends. Nothing here waits for a hook to finish: the
 * step machine (operation.ts) saves the hook's UID in status and comes back on a watch event.
 *
 * Every hook carries the annotation `sluice.dev/operation` with the id of the operation that
 * started it, so a controller that died between creating a hook and saving its status adopts
 * it instead of running it twice.
 */
import type { HookRecord, HookType, ResourceResult } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import { assessHealth } from '../health/index.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { FIELD_MANAGER } from './annotations.ts';
import type { LiveState } from './live.ts';
import type { DesiredResource } from './preflight.ts';
import { waitGone } from './wait.ts';

/** Kinds whose hooks run until they complete; any other hook is done once created. */
const WAITED_KINDS = new Set(['Job', 'Pod', 'Workflow']);
export const OPERATION_ANNOTATION = 'sluice.dev/operation';

export function hookResult(h: HookRecord, wave: number | undefined): ResourceResult {
  const slash = h.apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : h.apiVersion.slice(0, slash),
    version: slash < 0 ? h.apiVersion : h.apiVersion.slice(slash + 1),
    kind: h.kind,
    ...(h.namespace ? { namespace: h.namespace } : {}),
    name: h.name,
    action: h.phase === 'Failed' ? 'failed' : 'created',
    message: h.message ?? '',
    ...(h.phase === 'Failed' ? { reason: 'HookFailed' as const } : {}),
    hook: h.type,
    hookPhase: h.phase,
    ...(wave === undefined ? {} : { syncWave: wave }),
  };
}

function record(
  hook: DesiredResource,
  type: HookType,
  obj: KubeObject,
  phase: HookRecord['phase'],
  message: string,
): HookRecord {
  return {
    type,
    key: hook.key,
    kind: hook.ref.kind,
    apiVersion: hook.object.apiVersion,
    ...(hook.ref.namespace ? { namespace: hook.ref.namespace } : {}),
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    phase,
    message,
  };
}

/** Creates one hook (adopting a run this operation already started); never throws. */
export async function startHook(
  kube: Kube,
  live: LiveState,
  hook: DesiredResource,
  type: HookType,
  operationId: string,
): Promise<HookRecord> {
  const obj = structuredClone(hook.object);
  obj.metadata.annotations = { ...obj.metadata.annotations, [OPERATION_ANNOTATION]: operationId };
  const policies = hook.deletePolicies ?? new Set(['BeforeHookCreation']);
  const label = formatRef(hook.ref);
  const running = (o: KubeObject): HookRecord =>
    WAITED_KINDS.has(hook.ref.kind)
      ? record(hook, type, o, 'Running', `${type} hook ${label} running`)
      : record(hook, type, o, 'Succeeded', `${type} hook ${label} created`);
  try {
    if (obj.metadata.name) {
      const previous = await live.get(
        obj.apiVersion,
        hook.ref.kind,
        hook.ref.namespace || undefined,
        obj.metadata.name,
      );
      if (previous?.metadata.annotations?.[OPERATION_ANNOTATION] === operationId)
        return running(previous);
      if (previous && policies.has('BeforeHookCreation')) {
        await kube.delete(previous, { propagationPolicy: 'Background' });
        if (!(await waitGone(kube, previous, 30_000)))
          return record(
            hook,
            type,
            previous,
            'Failed',
            `${label}: the previous run could not be deleted in time`,
          );
      }
    }
    const created = obj.metadata.name
      ? await kube.apply(obj, { fieldManager: FIELD_MANAGER, force: true })
      : await kube.create(obj, { fieldManager: FIELD_MANAGER });
    return running(created);
  } catch (err) {
    return record(hook, type, obj, 'Failed', `${type} hook ${label}: ${errorMessage(err)}`);
  }
}

/** The hook's state now (from the watch cache); when it ended, its delete policy is applied. */
export async function observeHook(
  kube: Kube,
  live: LiveState,
  h: HookRecord,
  policies: ReadonlySet<string>,
): Promise<HookRecord> {
  if (h.phase !== 'Running') return h;
  const cached = await live.get(h.apiVersion, h.kind, h.namespace, h.name);
  const same = (o: KubeObject | undefined): o is KubeObject =>
    o !== undefined && (!h.uid || o.metadata.uid === h.uid);
  // The watch may not have delivered a hook created a moment ago: ask the API before calling
  // it deleted (a false "deleted" failed syncs under load).
  const obj = same(cached)
    ? cached
    : await kube.get(h.apiVersion, h.kind, h.namespace, h.name).catch(() => undefined);
  if (!same(obj))
    return {
      ...h,
      phase: 'Failed',
      message: `${h.type} hook ${h.kind}/${h.name} was deleted before it completed`,
    };
  const health = assessHealth(obj);
  if (health.status === 'Progressing' || health.status === 'Suspended') return h;
  const ok = health.status === 'Healthy';
  const ended: HookRecord = {
    ...h,
    phase: ok ? 'Succeeded' : 'Failed',
    message: ok
      ? `${h.type} hook ${h.kind}/${h.name} completed`
      : `${h.type} hook ${h.kind}/${h.name} failed: ${health.status}${health.message ? ` (${health.message})` : ''}`,
  };
  await applyDeletePolicy(kube, ended, policies);
  return ended;
}

/** HookSucceeded / HookFailed: delete a hook that ended, as its policy says. */
export async function applyDeletePolicy(
  kube: Kube,
  h: HookRecord,
  policies: ReadonlySet<string>,
): Promise<void> {
  const ok = h.phase === 'Succeeded';
  if (h.phase === 'Running') return;
  if (!(ok ? policies.has('HookSucceeded') : policies.has('HookFailed'))) return;
  const target = {
    apiVersion: h.apiVersion,
    kind: h.kind,
    metadata: { name: h.name, ...(h.namespace ? { namespace: h.namespace } : {}) },
  };
  await kube
    .delete(target, { propagationPolicy: 'Background', ...(h.uid ? { uid: h.uid } : {}) })
    .catch(() => false);
}

/** Terminating an operation: running hooks are deleted (their Pods with them). */
export async function stopHook(kube: Kube, h: HookRecord): Promise<HookRecord> {
  if (h.phase !== 'Running') return h;
  const apiVersion = h.apiVersion;
  await kube
    .delete(
      {
        apiVersion,
        kind: h.kind,
        metadata: { name: h.name, ...(h.namespace ? { namespace: h.namespace } : {}) },
      },
      { propagationPolicy: 'Background', ...(h.uid ? { uid: h.uid } : {}) },
    )
    .catch(() => false);
  return {
    ...h,
    phase: 'Failed',
    message: `${h.type} hook ${h.kind}/${h.name} stopped: the operation was terminated`,
  };
}
