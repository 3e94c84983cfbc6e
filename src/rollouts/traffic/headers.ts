/**
 * Header routes of `setHeaderRoute` steps, as Argo Rollouts has them: a step names a route listed
 * in `trafficRouting.managedRoutes` and gives its header matches; a later step with the same name
 * replaces it, and one without `match` removes it. `headerRoutesAt` folds the steps up to the
 * current one into the set that should exist now, which is what a router's `reconcile` takes.
 */
import type { Rollout } from '../../api/rollout.ts';
import { rolloutRef, TrafficRouterError, type HeaderMatch, type HeaderRoute } from './types.ts';

/** The header routes that should exist while step `stepIndex` runs (steps 0..stepIndex). */
export function headerRoutesAt(rollout: Rollout, stepIndex: number): HeaderRoute[] {
  const canary = rollout.spec.strategy.canary;
  const steps = canary?.steps ?? [];
  const managed = new Set((canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name));
  const routes = new Map<string, HeaderRoute>();
  for (const [i, step] of steps.slice(0, Math.max(0, stepIndex + 1)).entries()) {
    const set = step.setHeaderRoute;
    if (set === undefined) continue;
    if (!managed.has(set.name)) {
      throw new TrafficRouterError(
        'RouterConfigInvalid',
        rolloutRef(rollout),
        `step ${i} sets header route "${set.name}", which is not in trafficRouting.managedRoutes`,
        `add {name: ${set.name}} to spec.strategy.canary.trafficRouting.managedRoutes`,
      );
    }
    if (set.match === undefined || set.match.length === 0) routes.delete(set.name);
    else routes.set(set.name, { name: set.name, match: set.match });
  }
  return [...routes.values()];
}

/** The value condition of one match, in the two forms routers understand. */
export type ValueCondition = { type: 'Exact'; value: string } | { type: 'Regex'; value: string };

/** exact → Exact; prefix → a regex anchored at the start; regex → Regex. */
export function valueCondition(rollout: Rollout, m: HeaderMatch): ValueCondition {
  const v = m.headerValue;
  if (v.exact !== undefined) return { type: 'Exact', value: v.exact };
  if (v.prefix !== undefined) return { type: 'Regex', value: `^${escapeRegex(v.prefix)}.*` };
  if (v.regex !== undefined) return { type: 'Regex', value: v.regex };
  throw new TrafficRouterError(
    'RouterConfigInvalid',
    rolloutRef(rollout),
    `header match on "${m.headerName}" gives no value (exact, prefix or regex)`,
  );
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
