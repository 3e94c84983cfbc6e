/**
 * Installing Sluice's CRDs (`sluice install-crds`) and checking them when the controller starts.
 * Each CRD carries a hash of its schema (crd.ts), so a controller can tell an outdated CRD from a
 * current one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { UnknownKindError } from '../kube/discovery.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { Condition, KubeObject } from '../kube/types.ts';
import type { Progress } from '../util/progress.ts';
import { allCrds, SCHEMA_HASH_ANNOTATION } from './crd.ts';
import { approvalPolicy } from './promotion-policy.ts';

const CRD_API = 'apiextensions.k8s.io/v1';
const CRD_KIND = 'CustomResourceDefinition';

function established(crd: KubeObject | undefined): boolean {
  const conditions =
    (crd?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

/** Applies every CRD and waits until the API server serves them. */
export async function installCrds(
  kube: Kube,
  progress: Progress,
  timeoutMs = 60_000,
): Promise<string[]> {
  const names: string[] = [];
  for (const crd of allCrds()) {
    const name = crd.metadata.name ?? '';
    progress.step(`applying CustomResourceDefinition ${name}`);
    await kube.apply(crd, { fieldManager: 'sluice', force: true });
    const deadline = Date.now() + timeoutMs;
    while (!established(await kube.get(CRD_API, CRD_KIND, undefined, name))) {
      if (Date.now() > deadline) {
        throw new SluiceError(
          'CrdNotEstablished',
          `CustomResourceDefinition/${name}: not Established after ${timeoutMs / 1000}s`,
          {
            hint: 'inspect it with `kubectl describe crd ' + name + '`',
          },
        );
      }
      await sleep(100);
    }
    kube.discovery.invalidate();
    await waitServed(kube, crd, deadline);
    names.push(name);
  }
  for (const o of approvalPolicy()) {
    progress.step(`applying ${o.kind} ${o.metadata.name}`);
    await kube.apply(o, { fieldManager: 'sluice', force: true });
    names.push(`${o.kind}/${o.metadata.name}`);
  }
  return names;
}

interface CrdSpec {
  group: string;
  names: { kind: string };
  versions: Array<{ name: string; storage?: boolean }>;
}

/**
 * Established is not yet served: for a moment discovery does not list the kind and the API
 * server answers 429 "storage is (re)initializing". Lists (of nothing: a name no object has) until one is answered, so that
 * `sluice app list` right after `sluice install-crds` works.
 */
async function waitServed(kube: Kube, crd: KubeObject, deadline: number): Promise<void> {
  const spec = crd.spec as CrdSpec;
  const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? 'v1';
  for (;;) {
    try {
      await kube.list(`${spec.group}/${version}`, spec.names.kind, {
        fieldSelector: 'metadata.name=sluice-install-probe',
      });
      return;
    } catch (err) {
      // Discovery may not list the new kind yet either.
      const notYet =
        (err instanceof KubeApiError && err.status === 429) || err instanceof UnknownKindError;
      if (!notYet || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** Throws a clear error unless every CRD is installed, Established and current. */
export async function checkCrds(kube: Kube): Promise<void> {
  for (const want of allCrds()) {
    const name = want.metadata.name ?? '';
    const live = await kube.get(CRD_API, CRD_KIND, undefined, name);
    if (!live) {
      throw new SluiceError('CrdMissing', `CustomResourceDefinition/${name} is not installed`, {
        hint: 'run `sluice install-crds` first',
      });
    }
    if (!established(live)) {
      throw new SluiceError(
        'CrdNotEstablished',
        `CustomResourceDefinition/${name} is not Established yet`,
        { hint: 'wait a moment and retry' },
      );
    }
    if (
      live.metadata.annotations?.[SCHEMA_HASH_ANNOTATION] !==
      want.metadata.annotations?.[SCHEMA_HASH_ANNOTATION]
    ) {
      throw new SluiceError(
        'CrdOutdated',
        `CustomResourceDefinition/${name} differs from this version of Sluice`,
        {
          hint: 'run `sluice install-crds` to update it',
        },
      );
    }
  }
}
