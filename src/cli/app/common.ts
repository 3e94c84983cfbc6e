/** Shared by the `sluice app` commands: reading Applications and waiting on them. */
import { setTimeout as sleep } from 'node:timers/promises';
import { userInfo } from 'node:os';
import {
  API_VERSION,
  KIND,
  type Application,
  type ApplicationSpec,
} from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { changedPaths } from '../../gitops/changes.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { createMergePatch } from '../../kube/mergepatch.ts';
import type { ControllerWatch } from './presence.ts';

/**
 * Runs a read, waiting briefly while the API server answers 429 (for a moment after the CRDs are
 * installed or updated it says "storage is (re)initializing"; under load it sheds requests).
 */
export async function whileBusy<T>(read: () => Promise<T>, seconds = 10): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 429) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

export async function getApp(kube: Kube, namespace: string, name: string): Promise<Application> {
  const app = await whileBusy(() => kube.get<Application>(API_VERSION, KIND, namespace, name));
  if (!app) {
    throw new SluiceError('AppNotFound', `Application ${namespace}/${name} not found`, {
      hint: `list them with \`sluice app list -N ${namespace}\`, or create it with \`sluice app create ${name} ...\``,
      exitCode: 3,
    });
  }
  return app;
}

export function appRef(
  namespace: string,
  name: string,
): Pick<Application, 'apiVersion' | 'kind' | 'metadata'> {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace } };
}

export function username(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export class TimeoutError extends SluiceError {
  constructor(what: string, seconds: number) {
    super('Timeout', `timed out after ${seconds}s waiting for ${what}`, {
      exitCode: 4,
      hint: 'raise --timeout, or look at `sluice app get` to see what it waits on',
    });
  }
}

export interface WaitOptions {
  /** What is waited for, as the timeout message says it. */
  what: string;
  timeoutSeconds: number;
  done: (app: Application) => boolean;
  /** Sees every new state of the app. */
  onChange?: (app: Application) => void;
  /** When the wait needs a controller: gives up early when none runs (see presence.ts). */
  controller?: { watch: ControllerWatch; acted: (app: Application) => boolean };
}

/** Polls the app until `done` returns true. */
export async function waitFor(
  kube: Kube,
  namespace: string,
  name: string,
  o: WaitOptions,
): Promise<Application> {
  const deadline = Date.now() + o.timeoutSeconds * 1000;
  let lastVersion = '';
  for (;;) {
    const app = await getApp(kube, namespace, name);
    if (app.metadata.resourceVersion !== lastVersion) {
      lastVersion = app.metadata.resourceVersion ?? '';
      o.onChange?.(app);
    }
    if (o.done(app)) return app;
    if (o.controller) await o.controller.watch.check(o.controller.acted(app));
    if (Date.now() > deadline) {
      o.controller?.watch.throwIfMissing(o.controller.acted(app));
      throw new TimeoutError(o.what, o.timeoutSeconds);
    }
    await sleep(250);
  }
}

export const shortSha = (s: string | undefined): string =>
  s && /^[0-9a-f]{40}$/.test(s) ? s.slice(0, 7) : (s ?? '');

/**
 * Changes an app's spec with `edit` and sends the difference as a merge patch guarded by the
 * resourceVersion (re-read and retried when someone else wrote in between). Resolves with the
 * paths that changed (`/spec/source/targetRevision`), empty when there was nothing to change.
 */
export async function editSpec(
  kube: Kube,
  namespace: string,
  name: string,
  edit: (spec: ApplicationSpec) => ApplicationSpec,
): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const app = await getApp(kube, namespace, name);
    const spec = edit(app.spec);
    const paths = changedPaths(app.spec, spec).map((p) => `/spec${p}`);
    if (paths.length === 0) return [];
    try {
      await kube.mergePatch(app, {
        metadata: { resourceVersion: app.metadata.resourceVersion },
        spec: createMergePatch(app.spec, spec),
      });
      return paths;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
    }
  }
}
