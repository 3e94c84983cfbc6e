/**
 * Fixtures for the routers' tests (unit and e2e): a canary Rollout with a router, and the
 * Services, Ingress and HTTPRoute objects a user of Argo Rollouts would have.
 */
import type { CanaryStep, Rollout } from '../../api/rollout.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { HTTPRoute, RouteRule } from './gatewayapi.ts';
import type { Ingress, IngressRule } from './nginx.ts';

export interface RolloutFixture {
  name?: string;
  namespace?: string;
  uid?: string;
  trafficRouting: NonNullable<NonNullable<Rollout['spec']['strategy']['canary']>['trafficRouting']>;
  steps?: CanaryStep[];
  stableService?: string;
  canaryService?: string;
}

export function testRollout(f: RolloutFixture): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: f.name ?? 'web',
      namespace: f.namespace ?? 'shop',
      ...(f.uid === undefined ? {} : { uid: f.uid }),
    },
    spec: {
      replicas: 2,
      strategy: {
        canary: {
          stableService: f.stableService ?? 'web-stable',
          canaryService: f.canaryService ?? 'web-canary',
          steps: f.steps ?? [{ setWeight: 20 }, { pause: {} }],
          trafficRouting: f.trafficRouting,
        },
      },
    },
  };
}

export function service(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** A path to `service` on port 80 (by number) or `port` (by name). */
export function path(p: string, service: string, port: number | string = 80) {
  return {
    path: p,
    pathType: 'Prefix',
    backend: {
      service: {
        name: service,
        port: typeof port === 'number' ? { number: port } : { name: port },
      },
    },
  };
}

export function ingress(
  namespace: string,
  name: string,
  rules: IngressRule[],
  extra: { className?: string; annotations?: Record<string, string> } = {},
): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace,
      ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
    },
    spec: {
      ...(extra.className === undefined ? {} : { ingressClassName: extra.className }),
      rules,
    },
  };
}

export function httpRoute(namespace: string, name: string, rules: RouteRule[]): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: { parentRefs: [{ name: 'gateway' }], hostnames: ['shop.example'], rules },
  };
}

/** A rule with a path prefix and weighted Service backends. */
export function weightedRule(prefix: string, backends: Array<[string, number]>): RouteRule {
  return {
    matches: [{ path: { type: 'PathPrefix', value: prefix } }],
    backendRefs: backends.map(([name, weight]) => ({ name, port: 80, weight })),
  };
}
