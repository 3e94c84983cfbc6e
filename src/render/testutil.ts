/**
 * Helpers for the render tests: the fixture root and requests against it.
 */
import { fileURLToPath } from 'node:url';
import type { ApplicationSource } from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';
import type { RenderRequest } from './types.ts';

/** The fixture repository: src/render/testdata. */
export const TESTDATA = fileURLToPath(new URL('./testdata', import.meta.url));

/** A request for `path` of the fixture repository. */
export function request(
  path: string,
  source: Partial<ApplicationSource> = {},
  extra: Partial<RenderRequest> = {},
): RenderRequest {
  return {
    root: TESTDATA,
    path,
    source: { repoURL: 'https://git.example.com/org/deploy.git', ...source },
    appName: 'shop',
    namespace: 'shop-prod',
    ...extra,
  };
}

/** `Kind/name` of each object, in order. */
export function names(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name ?? o.metadata.generateName ?? ''}`);
}

/** The one object of a kind and name, or a failed test. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered; got ${names(objects).join(', ')}`);
  return o;
}

/** A nested field, for assertions: `field(o, 'spec', 'replicas')`. */
export function field(obj: unknown, ...path: Array<string | number>): unknown {
  let v: unknown = obj;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The RenderError a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err as Error & Record<string, unknown>;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection, but the promise resolved');
}
