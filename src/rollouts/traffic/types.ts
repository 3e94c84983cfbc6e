/**
 * What every traffic router does, as Argo Rollouts' reconcilers do: make the router's objects
 * send `weight` % of requests to the canary Service and the rest to the stable Service, plus the
 * header routes of `setHeaderRoute` steps, and read back what those objects say.
 *
 * A router is declarative and idempotent: `reconcile` is given the whole desired state (weight
 * and the full set of active header routes), compares it with the live objects and writes only
 * when they differ. Writes are server-side applies by the field manager `sluice-rollouts`, so
 * Sluice's GitOps (manager `sluice`) and the rollout controller each own their own fields.
 *
 * Failures are `TrafficRouterError`s whose `reason` is data the controller turns into a
 * condition, and whose `object` names what to fix (`Ingress/shop/web`, `Service/shop/web-canary`).
 */
import type { Static } from 'typebox';
import type { HeaderMatchSchema, Rollout, RolloutStatus } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { formatRef, type KubeObject, type ObjectRef } from '../../kube/types.ts';

/** The field manager of every write a router makes. */
export const FIELD_MANAGER = 'sluice-rollouts';

/** Labels a router-generated object with the Rollout it belongs to. */
export const ROLLOUT_LABEL = 'sluice.dev/rollout';

export type RouterKind = 'nginx' | 'gatewayAPI';

/** One header condition of a `setHeaderRoute` step (exact, prefix or regex value). */
export type HeaderMatch = Static<typeof HeaderMatchSchema>;

/** A header route: requests matching every `match` go 100 % to the canary. */
export interface HeaderRoute {
  /** The name listed in `trafficRouting.managedRoutes`. */
  name: string;
  match: readonly HeaderMatch[];
}

/** One side of the split: the Service traffic goes to, and the pods it selects (for status). */
export interface Destination {
  service: string;
  podTemplateHash?: string;
}

/** Which Rollout, and which Services it splits between. */
export interface RouterScope {
  rollout: Rollout;
  stable: Destination;
  canary: Destination;
}

/** The whole desired state of the router objects. */
export interface TrafficTarget extends RouterScope {
  /** Percent of requests to the canary, 0-100; the stable Service gets the rest. */
  weight: number;
  /** Every header route that should exist now; managed routes not listed are removed. */
  headerRoutes?: readonly HeaderRoute[];
}

/** What a router did to one object (data, as Flux's ChangeSet entries). */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted';

export interface RouterChange {
  object: ObjectRef;
  action: ChangeAction;
  /** The object's resourceVersion after the change (absent when deleted). */
  resourceVersion?: string;
}

/** What one router object says, read back from the API server. */
export interface ObservedObject {
  object: ObjectRef;
  /** Percent of requests the object sends to the canary; undefined if it does not exist. */
  weight: number | undefined;
  /** Names of the header routes it carries. */
  headerRoutes: string[];
  resourceVersion?: string;
}

export interface ObservedTraffic {
  router: RouterKind;
  /** The canary weight every object agrees on; undefined when one is missing or they disagree. */
  weight: number | undefined;
  headerRoutes: string[];
  objects: ObservedObject[];
}

/** Reads one object (the API server, or an informer's cache); undefined when it does not exist. */
export type ObjectReader = (
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
) => Promise<KubeObject | undefined>;

export interface RouterOptions {
  kube: Kube;
  /** Where reads come from; default: GET from the API server through `kube`. */
  read?: ObjectReader;
}

export interface TrafficRouter {
  readonly kind: RouterKind;
  /** Makes the router objects say exactly `target`; writes only what differs. */
  reconcile(target: TrafficTarget): Promise<RouterChange[]>;
  /** Removes every header route this Rollout added, keeping the weight as it is. */
  removeManagedRoutes(scope: RouterScope): Promise<RouterChange[]>;
  /** Reads back what the router objects say. */
  verify(scope: RouterScope): Promise<ObservedTraffic>;
}

/** Why a router could not do what it was asked: each is a condition reason. */
export const TRAFFIC_ERROR_REASONS = [
  /** An object the router needs does not exist (stable Ingress, HTTPRoute, a Service). */
  'RouterObjectMissing',
  /** It exists but cannot be used as it is (no rule routes to the stable Service...). */
  'RouterObjectInvalid',
  /** The object the router would write belongs to something else. */
  'RouterObjectConflict',
  /** The router cannot express this header route (NGINX: one header per canary Ingress). */
  'HeaderRouteUnsupported',
  /** The Rollout's own traffic settings are incomplete or contradictory. */
  'RouterConfigInvalid',
] as const;
export type TrafficErrorReason = (typeof TRAFFIC_ERROR_REASONS)[number];

/** A router failure about one object; the message starts with that object. */
export class TrafficRouterError extends SluiceError {
  readonly reason: TrafficErrorReason;
  readonly object: ObjectRef;

  constructor(reason: TrafficErrorReason, object: ObjectRef, message: string, hint?: string) {
    super(reason, `${formatRef(object)}: ${message}`, hint === undefined ? {} : { hint });
    this.name = 'TrafficRouterError';
    this.reason = reason;
    this.object = object;
  }
}

export function isTrafficRouterError(err: unknown): err is TrafficRouterError {
  return err instanceof TrafficRouterError;
}

/** A reference to an object in the Rollout's namespace (or `namespace`). */
export function refIn(
  rollout: Rollout,
  group: string,
  kind: string,
  name: string,
  namespace = rollout.metadata.namespace,
): ObjectRef {
  return { group, kind, namespace, name };
}

export function rolloutRef(rollout: Rollout): ObjectRef {
  return refIn(rollout, 'sluice.dev', 'Rollout', rollout.metadata.name);
}

/** `status.canary.weights` for a target, as Argo reports it. */
export function weightsStatus(
  target: TrafficTarget,
): NonNullable<NonNullable<RolloutStatus['canary']>['weights']> {
  const side = (
    d: Destination,
    weight: number,
  ): { weight: number; serviceName: string; podTemplateHash?: string } => ({
    weight,
    serviceName: d.service,
    ...(d.podTemplateHash === undefined ? {} : { podTemplateHash: d.podTemplateHash }),
  });
  return {
    canary: side(target.canary, target.weight),
    stable: side(target.stable, 100 - target.weight),
  };
}
