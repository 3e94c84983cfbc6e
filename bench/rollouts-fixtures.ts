/**
 * The objects of the rollouts benchmark (bench/rollouts.ts): per Rollout a stable and a canary
 * Service and an HTTPRoute splitting between them (Gateway API, as Argo Rollouts' gatewayAPI
 * plugin; no gateway controller is needed: Sluice only writes the route's weights), and the
 * Rollout itself on kwok nodes. Two kinds of Rollout:
 *
 *   step   setWeight 10, pause 1s, setWeight 30, pause 1s, setWeight 60, pause 1s, setWeight 90,
 *          pause 1s, then promotion (each pause expiry -> the next weight is one step-advance
 *          sample: 30, 60, 90, and 0 % canary once the new version is the stable one)
 *   abort  setWeight 20, pause {} (until promoted), with a background analysis: a `web` metric
 *          every second against the benchmark's exporter, success rate >= 0.95
 */
import { API_VERSION } from '../src/api/application.ts';
import type { AnalysisTemplate } from '../src/api/analysis.ts';
import type { CanaryStep, Rollout } from '../src/api/rollout.ts';
import type { HTTPRoute } from '../src/rollouts/traffic/gatewayapi.ts';
import type { KubeObject } from '../src/kube/types.ts';

export const NAMESPACES = 10;
export const TEMPLATE = 'bench-success-rate';
export const PLUGIN = 'argoproj-labs/gatewayAPI';

/** The weights of a step rollout, in order; a 1 s pause follows each one. */
export const STEP_WEIGHTS = [10, 30, 60, 90] as const;
/** The canary weight written when each pause ends: the next step's, 0 after the last pause. */
export const AFTER_PAUSE = [30, 60, 90, 0] as const;
export const PAUSE_MS = 1000;
/** The weight an abort rollout waits at (paused until promoted) when its analysis fails. */
export const ABORT_WEIGHT = 20;

export type Kind = 'step' | 'abort';

export interface Target {
  name: string;
  namespace: string;
  kind: Kind;
}

export const pad = (i: number): string => String(i).padStart(4, '0');
export const keyOf = (t: { namespace: string; name: string }): string => `${t.namespace}/${t.name}`;

/** Rollout i: the first `aborts` are abort rollouts, the others step rollouts. */
export function targets(n: number, aborts: number): Target[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `ro-${pad(i)}`,
    namespace: `bench-ro-${i % NAMESPACES}`,
    kind: i < aborts ? 'abort' : 'step',
  }));
}

function stepSteps(): CanaryStep[] {
  const steps: CanaryStep[] = [];
  for (const w of STEP_WEIGHTS) {
    steps.push({ setWeight: w });
    steps.push({ pause: { duration: `${PAUSE_MS / 1000}s` } });
  }
  return steps;
}

/** The pod template; `version` is what an update changes (a new pod-template hash). */
export function template(name: string, version: string): Record<string, unknown> {
  return {
    metadata: { labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image: 'localhost:5000/sample-app:v1',
          env: [{ name: 'VERSION', value: version }],
        },
      ],
    },
  };
}

export function rollout(t: Target): Rollout {
  const canary = {
    stableService: `${t.name}-stable`,
    canaryService: `${t.name}-canary`,
    steps: t.kind === 'step' ? stepSteps() : [{ setWeight: ABORT_WEIGHT }, { pause: {} }],
    trafficRouting: { plugins: { [PLUGIN]: { httpRoute: t.name } } },
    abortScaleDownDelaySeconds: 30,
    ...(t.kind === 'abort'
      ? {
          analysis: {
            templates: [{ templateName: TEMPLATE }],
            args: [{ name: 'rollout', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        }
      : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Rollout',
    metadata: { name: t.name, namespace: t.namespace, labels: { bench: t.kind } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: t.name } },
      template: template(t.name, 'v1'),
      strategy: { canary },
    },
  };
}

/** The stable and canary Services and the HTTPRoute of a Rollout (stable 100, canary 0). */
export function routing(t: Target): KubeObject[] {
  const service = (role: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${t.name}-${role}`, namespace: t.namespace },
    spec: { selector: { app: t.name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  const route: HTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: t.name, namespace: t.namespace },
    spec: {
      parentRefs: [{ name: 'bench-gateway' }],
      hostnames: [`${t.name}.bench.local`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { name: `${t.name}-stable`, port: 80, weight: 100 },
            { name: `${t.name}-canary`, port: 80, weight: 0 },
          ],
        },
      ],
    },
  };
  return [service('stable'), service('canary'), route];
}

/** The success-rate template of a namespace: the exporter's `/rate/<rollout>`, every second. */
export function analysisTemplate(namespace: string, exporter: string): AnalysisTemplate {
  return {
    apiVersion: API_VERSION,
    kind: 'AnalysisTemplate',
    metadata: { name: TEMPLATE, namespace },
    spec: {
      args: [{ name: 'rollout' }],
      metrics: [
        {
          name: 'success-rate',
          interval: '1s',
          successCondition: 'result >= 0.95',
          provider: {
            web: { url: `${exporter}/rate/{{args.rollout}}`, jsonPath: '{$.successRate}' },
          },
        },
      ],
    },
  };
}

/** The canary's weight in an HTTPRoute of this benchmark (undefined if it has no such rule). */
export function routeWeight(route: HTTPRoute): number | undefined {
  const name = route.metadata.name ?? '';
  for (const rule of route.spec?.rules ?? []) {
    const canary = rule.backendRefs?.find((b) => b.name === `${name}-canary`);
    if (canary) return canary.weight ?? 1;
  }
  return undefined;
}
