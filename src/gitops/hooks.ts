/**
 * Running one hook: delete the previous run (BeforeHookCreation), create it, wait until it
 * completes (Jobs and Pods by their health; other kinds are done once applied), then delete it
 * if its policy says so (HookSucceeded / HookFailed).
 */
import type { HookType, ResourceResult } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { FIELD_MANAGER } from './annotations.ts';
import type { DesiredResource } from './preflight.ts';
import { waitGone, waitSettled } from './wait.ts';

const WAITED_KINDS = new Set(['Job', 'Pod', 'Workflow']);

export interface HookRun {
  result: ResourceResult;
  ok: boolean;
}

function resultOf(
  hook: DesiredResource,
  type: HookType,
  name: string,
  ok: boolean | undefined,
  message: string,
): ResourceResult {
  return {
    group: hook.ref.group,
    version: hook.version,
    kind: hook.ref.kind,
    ...(hook.ref.namespace ? { namespace: hook.ref.namespace } : {}),
    name,
    action: ok === false ? 'failed' : 'created',
    message,
    hook: type,
    hookPhase: ok === undefined ? 'Running' : ok ? 'Succeeded' : 'Failed',
    syncWave: hook.wave,
  };
}

export async function runHook(
  kube: Kube,
  hook: DesiredResource,
  type: HookType,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HookRun> {
  const obj = structuredClone(hook.object);
  const policies = hook.deletePolicies ?? new Set(['BeforeHookCreation']);
  const label = formatRef(hook.ref);
  try {
    if (obj.metadata.name && policies.has('BeforeHookCreation')) {
      if (await kube.delete(obj, { propagationPolicy: 'Background' })) {
        if (!(await waitGone(kube, obj, timeoutMs))) {
          return {
            ok: false,
            result: resultOf(
              hook,
              type,
              obj.metadata.name,
              false,
              `${label}: the previous run could not be deleted in time`,
            ),
          };
        }
      }
    }
    let created: KubeObject;
    if (obj.metadata.name)
      created = await kube.apply(obj, { fieldManager: FIELD_MANAGER, force: true });
    else created = await kube.create(obj, { fieldManager: FIELD_MANAGER });
    const name = created.metadata.name ?? '';
    let ok = true;
    let message = `${type} hook ${label} created`;
    if (WAITED_KINDS.has(hook.ref.kind)) {
      const outcome = await waitSettled(kube, created, timeoutMs, signal);
      ok = outcome.status === 'Healthy';
      message = ok
        ? `${type} hook ${hook.ref.kind}/${name} completed`
        : `${type} hook ${hook.ref.kind}/${name} failed: ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`;
    }
    if ((ok && policies.has('HookSucceeded')) || (!ok && policies.has('HookFailed'))) {
      await kube.delete(created, { propagationPolicy: 'Background' });
    }
    return { ok, result: resultOf(hook, type, name, ok, message) };
  } catch (err) {
    return {
      ok: false,
      result: resultOf(
        hook,
        type,
        obj.metadata.name ?? obj.metadata.generateName ?? '',
        false,
        errorMessage(err),
      ),
    };
  }
}
