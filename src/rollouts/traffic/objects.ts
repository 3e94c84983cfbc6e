/**
 * What the routers share: reading objects, checking that the Services a Rollout names exist
 * before anything is written (so a missing one leaves nothing half-written), the owner
 * reference of generated objects, and comparing desired with live JSON.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Rollout } from '../../api/rollout.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  refIn,
  rolloutRef,
  TrafficRouterError,
  type ObjectReader,
  type RouterOptions,
  type RouterScope,
  type TrafficTarget,
} from './types.ts';

export const ROLLOUT_API_VERSION = 'sluice.dev/v1alpha1';

/** Reads straight from the API server. */
export function apiReader(kube: Kube): ObjectReader {
  return (apiVersion, kind, namespace, name) => kube.get(apiVersion, kind, namespace, name);
}

export function readerOf(options: RouterOptions): ObjectReader {
  return options.read ?? apiReader(options.kube);
}

/** Throws RouterObjectMissing naming the first Service of the split that does not exist. */
export async function requireServices(read: ObjectReader, scope: RouterScope): Promise<void> {
  const ns = scope.rollout.metadata.namespace;
  for (const [role, d] of [
    ['stable', scope.stable],
    ['canary', scope.canary],
  ] as const) {
    if ((await read('v1', 'Service', ns, d.service)) === undefined) {
      throw new TrafficRouterError(
        'RouterObjectMissing',
        refIn(scope.rollout, '', 'Service', d.service),
        `the ${role} Service of Rollout ${scope.rollout.metadata.name} does not exist`,
        `create it, or fix spec.strategy.canary.${role}Service`,
      );
    }
  }
}

/** Throws RouterConfigInvalid unless the weight is an integer in 0..100. */
export function checkWeight(target: TrafficTarget): void {
  const w = target.weight;
  if (!Number.isInteger(w) || w < 0 || w > 100) {
    throw new TrafficRouterError(
      'RouterConfigInvalid',
      rolloutRef(target.rollout),
      `canary weight ${w} is not a whole percentage between 0 and 100`,
    );
  }
}

/** The Services a Rollout's canary strategy splits between (both required with a router). */
export function scopeOf(
  rollout: Rollout,
  hashes: { stable?: string; canary?: string } = {},
): RouterScope {
  const canary = rollout.spec.strategy.canary;
  const stableService = canary?.stableService;
  const canaryService = canary?.canaryService;
  if (!stableService || !canaryService) {
    throw new TrafficRouterError(
      'RouterConfigInvalid',
      rolloutRef(rollout),
      'spec.strategy.canary.trafficRouting needs both stableService and canaryService',
      'name the Service that selects the stable pods and the one that selects the canary pods',
    );
  }
  return {
    rollout,
    stable: {
      service: stableService,
      ...(hashes.stable === undefined ? {} : { podTemplateHash: hashes.stable }),
    },
    canary: {
      service: canaryService,
      ...(hashes.canary === undefined ? {} : { podTemplateHash: hashes.canary }),
    },
  };
}

/** Makes generated objects go with their Rollout (garbage collection). */
export function ownerReference(rollout: Rollout): NonNullable<
  KubeObject['metadata']['ownerReferences']
>[number] & {
  blockOwnerDeletion: boolean;
} {
  return {
    apiVersion: ROLLOUT_API_VERSION,
    kind: 'Rollout',
    name: rollout.metadata.name,
    uid: rollout.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Equal as JSON (undefined members ignored, as the API server would store them). */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

/** `{resourceVersion}` of an object, for change entries (nothing if it has none). */
export function rv(obj: KubeObject | undefined): { resourceVersion?: string } {
  const v = obj?.metadata.resourceVersion;
  return v === undefined ? {} : { resourceVersion: v };
}
