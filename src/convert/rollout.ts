/**
 * Rollout: Argo Rollouts' fields carry over by name. What Sluice does not do is named here
 * with what to use instead: experiment and mirror steps, and traffic routers other than
 * NGINX and the Gateway API plugin. Everything else Sluice lacks is found by the schema check.
 */
import { formatPath, isJson, type Json, type Path, type Rewrite } from './types.ts';

type Found = Rewrite['issues'][number];

const ROUTING_ALTERNATIVES =
  'Sluice routes with nginx (a canary Ingress), the argoproj-labs/gatewayAPI plugin (HTTPRoute weights), or replica counts without a router';

const UNSUPPORTED_ROUTERS: Record<string, string> = {
  istio: 'Istio',
  alb: 'AWS ALB',
  smi: 'SMI (TrafficSplit)',
  ambassador: 'Ambassador',
  appMesh: 'AWS App Mesh',
  traefik: 'Traefik',
  apisix: 'Apache APISIX',
};

export const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';

const unsupported = (path: Path, message: string): Found => ({
  path: formatPath(path),
  kind: 'unsupported',
  message,
});

function stepIssues(steps: unknown, base: Path): Found[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step: unknown, i) => {
    if (!isJson(step)) return [];
    const out: Found[] = [];
    if (step['experiment'] !== undefined)
      out.push(
        unsupported(
          [...base, i, 'experiment'],
          'experiment steps are not supported: the rollout stops at this step with a clear condition (replace it with an analysis step)',
        ),
      );
    if (step['setMirrorRoute'] !== undefined)
      out.push(
        unsupported(
          [...base, i, 'setMirrorRoute'],
          'traffic mirroring is not supported; header-based routes (setHeaderRoute) are',
        ),
      );
    return out;
  });
}

function routingIssues(routing: unknown, base: Path): Found[] {
  if (!isJson(routing)) return [];
  const out: Found[] = [];
  for (const key of Object.keys(routing)) {
    const name = UNSUPPORTED_ROUTERS[key];
    if (name)
      out.push(
        unsupported(
          [...base, key],
          `${name} traffic routing is not supported: ${ROUTING_ALTERNATIVES}`,
        ),
      );
  }
  const plugins = routing['plugins'];
  for (const key of isJson(plugins) ? Object.keys(plugins) : []) {
    if (key !== GATEWAY_API_PLUGIN)
      out.push(
        unsupported(
          [...base, 'plugins', key],
          `the traffic router plugin ${key} is not supported: ${ROUTING_ALTERNATIVES}`,
        ),
      );
  }
  return out;
}

export function rolloutRewrite(obj: Json): Rewrite {
  const spec = isJson(obj['spec']) ? obj['spec'] : {};
  const strategy = isJson(spec['strategy']) ? spec['strategy'] : {};
  const canary = isJson(strategy['canary']) ? strategy['canary'] : {};
  const base: Path = ['spec', 'strategy', 'canary'];
  return {
    edits: [],
    issues: [
      ...stepIssues(canary['steps'], [...base, 'steps']),
      ...routingIssues(canary['trafficRouting'], [...base, 'trafficRouting']),
    ],
  };
}
