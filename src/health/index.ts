/**
 * Resource health: is a live object doing what its manifest asked for?
 *
 * Health is a registry from API group and kind to a small check, one file per kind
 * (`deployment.ts`, `pod.ts`, ...), whose semantics follow `kubectl rollout status` and
 * Argo CD. Kinds without a check, custom resources included, get the generic kstatus check
 * (`generic.ts`: observedGeneration, Stalled, Reconciling, Ready). Callers can add or replace
 * checks; a check returning undefined defers to the generic one.
 *
 * @example
 * import { assessHealth, registerHealthCheck, worstHealth } from './health/index.ts';
 *
 * registerHealthCheck('example.com', 'Widget', (obj) =>
 *   obj.metadata.labels?.['paused'] === 'true' ? { status: 'Suspended' } : undefined,
 * );
 * const results = live.map((obj) => assessHealth(obj));
 * const appHealth = worstHealth(results.map((r) => r.status)); // e.g. 'Progressing'
 */
export type { HealthCheck, HealthContext, HealthResult } from './types.ts';
export { assessHealth } from './assess.ts';
export { registerHealthCheck } from './registry.ts';
export { worstHealth } from './order.ts';
