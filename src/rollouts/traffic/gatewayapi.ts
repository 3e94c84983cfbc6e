/**
 * Gateway API, as Argo Rollouts' `argoproj-labs/gatewayAPI` plugin: the HTTPRoute named in
 * `trafficRouting.plugins["argoproj-labs/gatewayAPI"]` (`httpRoute`, or `httpRoutes: [{name,
 * useHeaderRoutes}]`, in `namespace` or the Rollout's) has rules whose backendRefs name both the
 * stable and the canary Service; Sluice sets their weights (stable 100-N, canary N). A header
 * route is one more rule, named `sluice-<rollout>-<route>`, with the weighted rule's matches
 * plus the headers, sending everything to the canary; `removeManagedRoutes` takes those out.
 *
 * `spec.rules` is an atomic list in the Gateway API schema, so an apply carries every rule (the
 * user's are kept as read) and owns `spec.rules`; the live resourceVersion rides along, so a
 * route changed between read and write is a conflict, never overwritten.
 */
import type { Rollout } from '../../api/rollout.ts';
import type { Kube } from '../../kube/api.ts';
import { isRecord, type KubeObject, type ObjectRef } from '../../kube/types.ts';
import { valueCondition } from './headers.ts';
import { checkWeight, readerOf, requireServices, rv, sameJson } from './objects.ts';
import {
  FIELD_MANAGER,
  refIn,
  rolloutRef,
  TrafficRouterError,
  type HeaderRoute,
  type ObjectReader,
  type ObservedObject,
  type ObservedTraffic,
  type RouterChange,
  type RouterOptions,
  type RouterScope,
  type TrafficRouter,
  type TrafficTarget,
} from './types.ts';

export const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';
const ROUTE_API = 'gateway.networking.k8s.io/v1';
const GROUP = 'gateway.networking.k8s.io';
const RULE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [field: string]: unknown;
}
export interface HeaderCondition {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}
export interface RouteMatch {
  headers?: HeaderCondition[];
  [field: string]: unknown;
}
export interface RouteRule {
  name?: string;
  matches?: RouteMatch[];
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}
export interface HTTPRoute extends KubeObject {
  spec?: { rules?: RouteRule[]; [field: string]: unknown };
}

export interface RouteSettings {
  name: string;
  namespace: string;
  useHeaderRoutes: boolean;
}

/** The HTTPRoutes of the plugin's settings (a missing or malformed entry is RouterConfigInvalid). */
export function gatewayRoutes(rollout: Rollout): RouteSettings[] {
  const cfg = rollout.spec.strategy.canary?.trafficRouting?.plugins?.[GATEWAY_API_PLUGIN];
  const namespace =
    isRecord(cfg) && typeof cfg['namespace'] === 'string' && cfg['namespace'] !== ''
      ? cfg['namespace']
      : rollout.metadata.namespace;
  const routes: RouteSettings[] = [];
  if (isRecord(cfg) && typeof cfg['httpRoute'] === 'string') {
    routes.push({ name: cfg['httpRoute'], namespace, useHeaderRoutes: true });
  }
  const many = isRecord(cfg) && Array.isArray(cfg['httpRoutes']) ? cfg['httpRoutes'] : [];
  for (const r of many) {
    if (isRecord(r) && typeof r['name'] === 'string') {
      routes.push({ name: r['name'], namespace, useHeaderRoutes: r['useHeaderRoutes'] === true });
    }
  }
  if (routes.length === 0) {
    throw new TrafficRouterError(
      'RouterConfigInvalid',
      rolloutRef(rollout),
      `trafficRouting.plugins["${GATEWAY_API_PLUGIN}"] names no HTTPRoute`,
      'set httpRoute: <name> (and namespace: if the route is in another namespace)',
    );
  }
  return routes;
}

/** The rule name of a header route: `sluice-<rollout>-<route>`. */
export function managedRuleName(rollout: Rollout, route: string): string {
  return `sluice-${rollout.metadata.name}-${route}`;
}

/**
 * Rule name → route name of every rule this Rollout may have added: its `managedRoutes` (and the
 * routes asked for now). Only these are ever removed, so two Rollouts sharing an HTTPRoute never
 * take out each other's rules, nor the user's.
 */
function managedRules(rollout: Rollout, extra: readonly HeaderRoute[] = []): Map<string, string> {
  const routes = rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? [];
  return new Map(
    [...routes, ...extra].map((r) => [managedRuleName(rollout, r.name), r.name] as const),
  );
}

/** Whether a backendRef is the Service `service` of namespace `ns` (refs default to the route's). */
function isService(ref: BackendRef, service: string, routeNs: string, ns: string): boolean {
  return (
    ref.name === service &&
    (ref.namespace ?? routeNs) === ns &&
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service'
  );
}

/** Finds the stable and canary backendRefs of a rule (both, or undefined). */
function splitOf(rule: RouteRule, scope: RouterScope, routeNs: string) {
  const ns = scope.rollout.metadata.namespace;
  const refs = rule.backendRefs ?? [];
  const stable = refs.findIndex((r) => isService(r, scope.stable.service, routeNs, ns));
  const canary = refs.findIndex((r) => isService(r, scope.canary.service, routeNs, ns));
  return stable < 0 || canary < 0 ? undefined : { stable, canary };
}

/** The rule a header route becomes: the weighted rule's matches with headers, all to canary. */
function headerRule(rollout: Rollout, base: RouteRule, canary: BackendRef, route: HeaderRoute) {
  const headers: HeaderCondition[] = route.match.map((m) => {
    const c = valueCondition(rollout, m);
    return {
      type: c.type === 'Exact' ? 'Exact' : 'RegularExpression',
      name: m.headerName,
      value: c.value,
    };
  });
  const matches = (base.matches?.length ? base.matches : [{}]).map((m) => ({ ...m, headers }));
  const { name: _name, matches: _m, backendRefs: _b, ...rest } = base;
  return {
    ...rest,
    name: managedRuleName(rollout, route.name),
    matches,
    backendRefs: [{ ...canary, weight: 100 }],
  };
}

/** The rules an HTTPRoute should have for `target` (pure); `ref` names the route in errors. */
export function desiredRules(
  live: readonly RouteRule[],
  target: TrafficTarget,
  route: RouteSettings,
  ref: ObjectRef,
): RouteRule[] {
  const managed = managedRules(target.rollout, target.headerRoutes);
  const rules = live
    .filter((r) => managedName(r, managed) === undefined)
    .map((rule) => {
      const split = splitOf(rule, target, route.namespace);
      if (split === undefined) return rule;
      const backendRefs = (rule.backendRefs ?? []).map((b, i) =>
        i === split.stable
          ? { ...b, weight: 100 - target.weight }
          : i === split.canary
            ? { ...b, weight: target.weight }
            : b,
      );
      return { ...rule, backendRefs };
    });
  const base = rules.find((r) => splitOf(r, target, route.namespace) !== undefined);
  const canary = base?.backendRefs?.[splitOf(base, target, route.namespace)?.canary ?? -1];
  if (base === undefined || canary === undefined) {
    throw new TrafficRouterError(
      'RouterObjectInvalid',
      ref,
      `no rule has backendRefs to both ${target.stable.service} and ${target.canary.service}`,
      'list both Services in one rule (the canary at weight 0); Sluice then sets the weights',
    );
  }
  if (!route.useHeaderRoutes) return rules;
  for (const h of target.headerRoutes ?? []) {
    if (h.match.length === 0) continue;
    const name = managedRuleName(target.rollout, h.name);
    if (name.length > 253 || !RULE_NAME.test(name)) {
      throw new TrafficRouterError(
        'RouterConfigInvalid',
        rolloutRef(target.rollout),
        `header route name "${h.name}" cannot name an HTTPRoute rule (${name})`,
        'use lowercase letters, digits and "-"',
      );
    }
    rules.push(headerRule(target.rollout, base, canary, h));
  }
  return rules;
}

/** The route name of a rule Sluice added for this Rollout, or undefined for other rules. */
function managedName(rule: RouteRule, managed: Map<string, string>): string | undefined {
  return rule.name === undefined ? undefined : managed.get(rule.name);
}

/** The canary's share of a weighted rule, in percent (a backendRef's weight defaults to 1). */
function canaryShare(rule: RouteRule, split: { stable: number; canary: number }): number {
  const s = rule.backendRefs?.[split.stable]?.weight ?? 1;
  const c = rule.backendRefs?.[split.canary]?.weight ?? 1;
  return s + c === 0 ? 0 : Math.round((c * 100) / (s + c));
}

/** What an HTTPRoute says: the canary share of its weighted rules, and its header routes. */
export function observeRoute(
  route: HTTPRoute | undefined,
  scope: RouterScope,
  settings: RouteSettings,
): { weight: number | undefined; headerRoutes: string[] } {
  const managed = managedRules(scope.rollout);
  const rules = route?.spec?.rules ?? [];
  const headerRoutes = rules.flatMap((r) => managedName(r, managed) ?? []);
  const weights = new Set<number>();
  for (const rule of rules) {
    const split = splitOf(rule, scope, settings.namespace);
    if (split !== undefined && managedName(rule, managed) === undefined) {
      weights.add(canaryShare(rule, split));
    }
  }
  const weight = route === undefined || weights.size !== 1 ? undefined : [...weights][0];
  return { weight, headerRoutes };
}

export class GatewayApiRouter implements TrafficRouter {
  readonly kind = 'gatewayAPI' as const;
  private readonly kube: Kube;
  private readonly read: ObjectReader;

  constructor(options: RouterOptions) {
    this.kube = options.kube;
    this.read = readerOf(options);
  }

  async reconcile(target: TrafficTarget): Promise<RouterChange[]> {
    // 1. Read and check every route and Service, and compute every route's rules, first:
    //    a missing or unusable one stops the reconcile before anything is written.
    checkWeight(target);
    const plans = [];
    for (const settings of gatewayRoutes(target.rollout)) {
      const ref = routeRef(target.rollout, settings);
      const live = await this.readRoute(target.rollout, settings, true);
      plans.push({ ref, live, rules: desiredRules(live.spec?.rules ?? [], target, settings, ref) });
    }
    await requireServices(this.read, target);
    // 2. Apply only the routes whose rules differ.
    const changes: RouterChange[] = [];
    for (const { ref, live, rules } of plans) {
      if (sameJson(live.spec?.rules, rules)) {
        changes.push({ object: ref, action: 'unchanged', ...rv(live) });
        continue;
      }
      const body: HTTPRoute = {
        apiVersion: ROUTE_API,
        kind: 'HTTPRoute',
        metadata: { name: ref.name, namespace: ref.namespace, ...rv(live) },
        spec: { rules },
      };
      const applied = await this.kube.apply(body, { fieldManager: FIELD_MANAGER, force: true });
      changes.push({ object: ref, action: 'configured', ...rv(applied) });
    }
    return changes;
  }

  async removeManagedRoutes(scope: RouterScope): Promise<RouterChange[]> {
    const observed = await this.verify(scope);
    if (observed.headerRoutes.length === 0) return [];
    const weights = observed.objects.map((o) => o.weight).filter((w) => w !== undefined);
    return this.reconcile({ ...scope, weight: weights[0] ?? 0, headerRoutes: [] });
  }

  async verify(scope: RouterScope): Promise<ObservedTraffic> {
    const objects: ObservedObject[] = [];
    for (const settings of gatewayRoutes(scope.rollout)) {
      const live = await this.readRoute(scope.rollout, settings, false);
      const seen = observeRoute(live, scope, settings);
      objects.push({ object: routeRef(scope.rollout, settings), ...seen, ...rv(live) });
    }
    const weights = new Set(objects.map((o) => o.weight));
    return {
      router: this.kind,
      weight: weights.size === 1 ? [...weights][0] : undefined,
      headerRoutes: [...new Set(objects.flatMap((o) => o.headerRoutes))],
      objects,
    };
  }

  private async readRoute(
    rollout: Rollout,
    settings: RouteSettings,
    required: true,
  ): Promise<HTTPRoute>;
  private async readRoute(
    rollout: Rollout,
    settings: RouteSettings,
    required: false,
  ): Promise<HTTPRoute | undefined>;
  private async readRoute(
    rollout: Rollout,
    settings: RouteSettings,
    required: boolean,
  ): Promise<HTTPRoute | undefined> {
    const live = (await this.read(ROUTE_API, 'HTTPRoute', settings.namespace, settings.name)) as
      HTTPRoute | undefined;
    if (live === undefined && required) {
      throw new TrafficRouterError(
        'RouterObjectMissing',
        routeRef(rollout, settings),
        `the HTTPRoute of Rollout ${rollout.metadata.name} does not exist`,
        `create it, or fix trafficRouting.plugins["${GATEWAY_API_PLUGIN}"].httpRoute`,
      );
    }
    return live;
  }
}

function routeRef(rollout: Rollout, settings: RouteSettings): ObjectRef {
  return refIn(rollout, GROUP, 'HTTPRoute', settings.name, settings.namespace);
}
