/**
 * Traffic routers for canary rollouts: which routers a Rollout uses, and the calls the Rollout
 * controller makes. A Rollout without `trafficRouting` has no router (the canary weight is then
 * a replica ratio, which the canary core computes); with `nginx` and/or the Gateway API plugin,
 * each router is driven in turn and their changes are reported together.
 *
 * @example
 * const routers = routersFor(rollout, { kube });
 * const scope = scopeOf(rollout, { stable: stableHash, canary: newHash });
 * const changes = await reconcileTraffic(routers, { ...scope, weight: 20, headerRoutes: headerRoutesAt(rollout, step) });
 * const seen = await verifyTraffic(routers, scope); // seen.weight === 20
 */
import type { Rollout } from '../../api/rollout.ts';
import { GATEWAY_API_PLUGIN, GatewayApiRouter } from './gatewayapi.ts';
import { NginxRouter } from './nginx.ts';
import type {
  ObservedTraffic,
  RouterChange,
  RouterOptions,
  RouterScope,
  TrafficRouter,
  TrafficTarget,
} from './types.ts';

export * from './types.ts';
export { headerRoutesAt } from './headers.ts';
export { scopeOf } from './objects.ts';
export {
  canaryIngressName,
  canaryIngressRef,
  deleteCanaryIngress,
  DEFAULT_ANNOTATION_PREFIX,
  HEADER_ROUTE_ANNOTATION,
  NginxRouter,
} from './nginx.ts';
export { GATEWAY_API_PLUGIN, GatewayApiRouter, managedRuleName } from './gatewayapi.ts';

/** Whether a Rollout routes traffic through a router (else: replica ratio). */
export function hasTrafficRouter(rollout: Rollout): boolean {
  const tr = rollout.spec.strategy.canary?.trafficRouting;
  return tr?.nginx !== undefined || tr?.plugins?.[GATEWAY_API_PLUGIN] !== undefined;
}

/** The routers a Rollout's `trafficRouting` names (none: replica ratio). */
export function routersFor(rollout: Rollout, options: RouterOptions): TrafficRouter[] {
  const tr = rollout.spec.strategy.canary?.trafficRouting;
  const routers: TrafficRouter[] = [];
  if (tr?.nginx !== undefined) routers.push(new NginxRouter(options));
  if (tr?.plugins?.[GATEWAY_API_PLUGIN] !== undefined) routers.push(new GatewayApiRouter(options));
  return routers;
}

/** Drives every router to `target`; stops at the first error (routers already set stay set). */
export async function reconcileTraffic(
  routers: readonly TrafficRouter[],
  target: TrafficTarget,
): Promise<RouterChange[]> {
  const changes: RouterChange[] = [];
  for (const r of routers) changes.push(...(await r.reconcile(target)));
  return changes;
}

export async function removeManagedRoutes(
  routers: readonly TrafficRouter[],
  scope: RouterScope,
): Promise<RouterChange[]> {
  const changes: RouterChange[] = [];
  for (const r of routers) changes.push(...(await r.removeManagedRoutes(scope)));
  return changes;
}

/** What each router's objects say (one entry per router; see `trafficAt`). */
export async function verifyTraffic(
  routers: readonly TrafficRouter[],
  scope: RouterScope,
): Promise<ObservedTraffic[]> {
  const seen: ObservedTraffic[] = [];
  for (const r of routers) seen.push(await r.verify(scope));
  return seen;
}

/** True when every router's objects send exactly `weight` % to the canary. */
export function trafficAt(observed: readonly ObservedTraffic[], weight: number): boolean {
  return observed.every((o) => o.weight === weight);
}
