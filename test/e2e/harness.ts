/**
 * Helpers for tests against the dev cluster: a client for the run's cluster and a fresh
 * namespace per test, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, inject } from 'vitest';
import { Kube } from '../../src/kube/api.ts';

let shared: Promise<Kube> | undefined;

/** The kubeconfig of the run's dev cluster. */
export function kubeconfigPath(): string {
  return inject('kubeconfig');
}

/** One client per test file, closed after the file. */
export function kube(): Promise<Kube> {
  if (!shared) {
    shared = Kube.connect(kubeconfigPath());
    afterAll(async () => {
      const k = await shared;
      shared = undefined;
      await k?.close();
    });
  }
  return shared;
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
  const client = kube();
  beforeEach(async () => {
    current = uniqueName(prefix);
    await (
      await client
    ).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: current } });
  });
  afterEach(async () => {
    await (
      await client
    ).delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: current } });
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
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    }
    await sleep(100);
  }
}
