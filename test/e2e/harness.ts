/**
 * Helpers for tests against the dev cluster: clients for the run's cluster and a fresh
 * namespace per test, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterEach, beforeEach, inject } from 'vitest';

export interface Cluster {
  kc: KubeConfig;
  kubeconfigPath: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

export function cluster(): Cluster {
  const kubeconfigPath = inject('kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kc,
    kubeconfigPath,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** A unique name with a readable prefix: `smoke-3f9a1c`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Registers hooks that create a fresh namespace before each test and delete it after.
 * Returns a getter for the current test's namespace.
 */
export function useNamespace(prefix = 'test'): () => string {
  let current = '';
  beforeEach(async () => {
    const c = cluster();
    current = uniqueName(prefix);
    await c.core.createNamespace({ body: { metadata: { name: current } } });
  });
  afterEach(async () => {
    const c = cluster();
    await c.core.deleteNamespace({ name: current }).catch(() => undefined);
  });
  return () => current;
}

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await sleep(100);
  }
}
