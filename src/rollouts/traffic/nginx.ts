/**
 * Ingress NGINX, with Argo Rollouts' semantics. The user's stable Ingress
 * (`trafficRouting.nginx.stableIngress`) is never written: a canary Ingress named
 * `<rollout>-<stableIngress>-canary`, owned by the Rollout, mirrors its hosts and the paths that
 * route to the stable Service, with the canary Service as their backend and the annotations
 * `<prefix>/canary: "true"` and `<prefix>/canary-weight: "<N>"` (prefix
 * `nginx.ingress.kubernetes.io` unless `annotationPrefix` says otherwise). Paths of the stable
 * Ingress that route elsewhere are left out: they are not part of the split.
 *
 * A header route becomes `canary-by-header` plus `canary-by-header-value` (exact) or
 * `canary-by-header-pattern` (prefix, regex). NGINX reads one header per canary Ingress, so more
 * than one header match is a `HeaderRouteUnsupported` error. Weight 0 keeps the canary Ingress
 * (at weight 0); removing it when a rollout completes or aborts is `deleteCanaryIngress`.
 */
import type { Rollout } from '../../api/rollout.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject, ObjectRef } from '../../kube/types.ts';
import { valueCondition } from './headers.ts';
import { checkWeight, ownerReference, readerOf, requireServices, rv, sameJson } from './objects.ts';
import {
  FIELD_MANAGER,
  refIn,
  rolloutRef,
  ROLLOUT_LABEL,
  TrafficRouterError,
  type HeaderRoute,
  type ObjectReader,
  type ObservedTraffic,
  type RouterChange,
  type RouterOptions,
  type RouterScope,
  type TrafficRouter,
  type TrafficTarget,
} from './types.ts';

export const DEFAULT_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io';
/** Names the header route a canary Ingress carries (NGINX's annotations cannot). */
export const HEADER_ROUTE_ANNOTATION = 'sluice.dev/header-route';
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const INGRESS_API = 'networking.k8s.io/v1';

export interface IngressPath {
  path?: string;
  pathType: string;
  backend: { service?: { name: string; port?: { name?: string; number?: number } } };
}
export interface IngressRule {
  host?: string;
  http?: { paths: IngressPath[] };
}
export interface Ingress extends KubeObject {
  spec?: { ingressClassName?: string; rules?: IngressRule[] };
}

export interface NginxSettings {
  stableIngress: string;
  annotationPrefix: string;
  additionalIngressAnnotations: Record<string, string>;
}

export function nginxSettings(rollout: Rollout): NginxSettings {
  const nginx = rollout.spec.strategy.canary?.trafficRouting?.nginx;
  if (nginx === undefined) {
    throw new TrafficRouterError(
      'RouterConfigInvalid',
      rolloutRef(rollout),
      'spec.strategy.canary.trafficRouting.nginx is not set',
    );
  }
  return {
    stableIngress: nginx.stableIngress,
    annotationPrefix: nginx.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX,
    additionalIngressAnnotations: nginx.additionalIngressAnnotations ?? {},
  };
}

/** `<rollout>-<stableIngress>-canary`, the front cut to fit 253 characters (as Argo does). */
export function canaryIngressName(rollout: string, stableIngress: string): string {
  const suffix = '-canary';
  return `${`${rollout}-${stableIngress}`.slice(0, 253 - suffix.length)}${suffix}`;
}

export function canaryIngressRef(rollout: Rollout): ObjectRef {
  const name = canaryIngressName(rollout.metadata.name, nginxSettings(rollout).stableIngress);
  return refIn(rollout, 'networking.k8s.io', 'Ingress', name);
}

/** The annotations of the header routes; NGINX takes at most one route with one header. */
export function headerAnnotations(
  rollout: Rollout,
  prefix: string,
  routes: readonly HeaderRoute[],
): Record<string, string> {
  const active = routes.filter((r) => r.match.length > 0);
  const first = active[0];
  if (first === undefined) return {};
  const match = first.match[0];
  if (active.length > 1 || first.match.length > 1 || match === undefined) {
    throw new TrafficRouterError(
      'HeaderRouteUnsupported',
      canaryIngressRef(rollout),
      `Ingress NGINX routes by one header per canary Ingress; asked for ${active.length} route(s) ` +
        `with ${active.reduce((n, r) => n + r.match.length, 0)} header match(es)`,
      'keep one setHeaderRoute with one match active at a time, or use the Gateway API router',
    );
  }
  const cond = valueCondition(rollout, match);
  return {
    [`${prefix}/canary-by-header`]: match.headerName,
    [cond.type === 'Exact'
      ? `${prefix}/canary-by-header-value`
      : `${prefix}/canary-by-header-pattern`]: cond.value,
    [HEADER_ROUTE_ANNOTATION]: first.name,
  };
}

/** The stable Ingress's rules, keeping only paths to the stable Service, pointed at the canary. */
export function canaryRules(
  stable: Ingress,
  stableService: string,
  canaryService: string,
): IngressRule[] {
  const rules: IngressRule[] = [];
  for (const rule of stable.spec?.rules ?? []) {
    const paths = (rule.http?.paths ?? [])
      .filter((p) => p.backend.service?.name === stableService)
      .map((p) => ({ ...p, backend: { service: { ...p.backend.service, name: canaryService } } }));
    if (paths.length === 0) continue;
    rules.push({ ...(rule.host === undefined ? {} : { host: rule.host }), http: { paths } });
  }
  return rules;
}

/** The canary Ingress that makes NGINX say `target` (pure). */
export function buildCanaryIngress(stable: Ingress, target: TrafficTarget): Ingress {
  const { rollout } = target;
  const settings = nginxSettings(rollout);
  const ref = canaryIngressRef(rollout);
  const rules = canaryRules(stable, target.stable.service, target.canary.service);
  if (rules.length === 0) {
    throw new TrafficRouterError(
      'RouterObjectInvalid',
      refIn(rollout, 'networking.k8s.io', 'Ingress', settings.stableIngress),
      `no rule routes to the stable Service ${target.stable.service}`,
      'point the stable Ingress paths at spec.strategy.canary.stableService',
    );
  }
  const p = settings.annotationPrefix;
  const cls = stable.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  const additional = Object.entries(settings.additionalIngressAnnotations).map(
    ([k, v]) => [k.startsWith(`${p}/`) ? k : `${p}/${k}`, v] as const,
  );
  const annotations: Record<string, string> = {
    ...(cls === undefined ? {} : { [INGRESS_CLASS_ANNOTATION]: cls }),
    ...Object.fromEntries(additional),
    [`${p}/canary`]: 'true',
    [`${p}/canary-weight`]: String(target.weight),
    ...headerAnnotations(rollout, p, target.headerRoutes ?? []),
  };
  const className = stable.spec?.ingressClassName;
  return {
    apiVersion: INGRESS_API,
    kind: 'Ingress',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { [ROLLOUT_LABEL]: rollout.metadata.name },
      annotations,
      ownerReferences: [ownerReference(rollout)],
    },
    spec: { ...(className === undefined ? {} : { ingressClassName: className }), rules },
  };
}

/** The annotations Sluice owns on a canary Ingress: its prefix's, the class and the route name. */
function ownedAnnotations(obj: Ingress, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj.metadata.annotations ?? {}).filter(
      ([k]) =>
        k.startsWith(`${prefix}/`) ||
        k === INGRESS_CLASS_ANNOTATION ||
        k === HEADER_ROUTE_ANNOTATION,
    ),
  );
}

/** Whether the live canary Ingress differs from the desired one in any field Sluice owns. */
export function canaryIngressDiffers(live: Ingress, desired: Ingress, prefix: string): boolean {
  return !(
    sameJson(ownedAnnotations(live, prefix), ownedAnnotations(desired, prefix)) &&
    live.metadata.labels?.[ROLLOUT_LABEL] === desired.metadata.labels?.[ROLLOUT_LABEL] &&
    sameJson(live.spec?.rules, desired.spec?.rules) &&
    live.spec?.ingressClassName === desired.spec?.ingressClassName &&
    (live.metadata.ownerReferences ?? []).some(
      (o) => o.controller === true && sameJson(o, desired.metadata.ownerReferences?.[0]),
    )
  );
}

/** The canary weight a canary Ingress says, or undefined if it says none. */
export function ingressWeight(obj: Ingress | undefined, prefix: string): number | undefined {
  const a = obj?.metadata.annotations;
  if (a?.[`${prefix}/canary`] !== 'true') return undefined;
  const w = Number(a[`${prefix}/canary-weight`] ?? '0');
  return Number.isInteger(w) ? w : undefined;
}

function belongsTo(obj: KubeObject, rollout: Rollout): boolean {
  const owner = (obj.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  if (owner === undefined) return false;
  return rollout.metadata.uid === undefined
    ? owner.kind === 'Rollout' && owner.name === rollout.metadata.name
    : owner.uid === rollout.metadata.uid;
}

function checkOwned(live: KubeObject, rollout: Rollout): void {
  if (!belongsTo(live, rollout)) {
    throw new TrafficRouterError(
      'RouterObjectConflict',
      canaryIngressRef(rollout),
      `exists and is not controlled by Rollout ${rollout.metadata.name}`,
      'delete it or rename the Rollout; Sluice does not take over objects it did not create',
    );
  }
}

export class NginxRouter implements TrafficRouter {
  readonly kind = 'nginx' as const;
  private readonly kube: Kube;
  private readonly read: ObjectReader;

  constructor(options: RouterOptions) {
    this.kube = options.kube;
    this.read = readerOf(options);
  }

  async reconcile(target: TrafficTarget): Promise<RouterChange[]> {
    // 1. Check everything before writing anything: the weight, the header routes, the objects.
    checkWeight(target);
    const { rollout } = target;
    const settings = nginxSettings(rollout);
    headerAnnotations(rollout, settings.annotationPrefix, target.headerRoutes ?? []);
    const ns = rollout.metadata.namespace;
    const stable = (await this.read(INGRESS_API, 'Ingress', ns, settings.stableIngress)) as
      Ingress | undefined;
    if (stable === undefined) {
      throw new TrafficRouterError(
        'RouterObjectMissing',
        refIn(rollout, 'networking.k8s.io', 'Ingress', settings.stableIngress),
        `the stable Ingress of Rollout ${rollout.metadata.name} does not exist`,
        'create it, or fix spec.strategy.canary.trafficRouting.nginx.stableIngress',
      );
    }
    await requireServices(this.read, target);
    // 2. Build the canary Ingress, compare with the live one, apply only a difference.
    const desired = buildCanaryIngress(stable, target);
    const ref = canaryIngressRef(rollout);
    const live = (await this.read(INGRESS_API, 'Ingress', ns, ref.name)) as Ingress | undefined;
    if (live !== undefined) checkOwned(live, rollout);
    if (live !== undefined && !canaryIngressDiffers(live, desired, settings.annotationPrefix)) {
      return [{ object: ref, action: 'unchanged', ...rv(live) }];
    }
    const applied = await this.kube.apply(desired, { fieldManager: FIELD_MANAGER, force: true });
    return [{ object: ref, action: live === undefined ? 'created' : 'configured', ...rv(applied) }];
  }

  async removeManagedRoutes(scope: RouterScope): Promise<RouterChange[]> {
    const prefix = nginxSettings(scope.rollout).annotationPrefix;
    const live = await this.readCanary(scope.rollout);
    if (
      live === undefined ||
      live.metadata.annotations?.[`${prefix}/canary-by-header`] === undefined
    ) {
      return [];
    }
    return this.reconcile({ ...scope, weight: ingressWeight(live, prefix) ?? 0, headerRoutes: [] });
  }

  async verify(scope: RouterScope): Promise<ObservedTraffic> {
    const prefix = nginxSettings(scope.rollout).annotationPrefix;
    const live = await this.readCanary(scope.rollout);
    const weight = ingressWeight(live, prefix);
    const route = live?.metadata.annotations?.[HEADER_ROUTE_ANNOTATION];
    const headerRoutes = route === undefined ? [] : [route];
    return {
      router: this.kind,
      weight,
      headerRoutes,
      objects: [{ object: canaryIngressRef(scope.rollout), weight, headerRoutes, ...rv(live) }],
    };
  }

  private async readCanary(rollout: Rollout): Promise<Ingress | undefined> {
    const ref = canaryIngressRef(rollout);
    return this.read(INGRESS_API, 'Ingress', ref.namespace, ref.name);
  }
}

/** Deletes the Rollout's canary Ingress (on completion or abort, the controller's call). */
export async function deleteCanaryIngress(kube: Kube, rollout: Rollout): Promise<RouterChange> {
  const ref = canaryIngressRef(rollout);
  const live = await kube.get(INGRESS_API, 'Ingress', ref.namespace, ref.name);
  if (live === undefined) return { object: ref, action: 'unchanged' };
  checkOwned(live, rollout);
  const uid = live.metadata.uid;
  const gone = await kube.delete(live, uid === undefined ? {} : { uid });
  return { object: ref, action: gone ? 'deleted' : 'unchanged' };
}
