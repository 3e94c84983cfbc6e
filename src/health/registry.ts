/** Health checks by API group and kind: the built-ins, then whatever callers register. */
import { BUILTIN_CHECKS } from './builtins.ts';
import type { HealthCheck } from './types.ts';

const key = (group: string, kind: string): string => `${group}/${kind}`;

const checks = new Map<string, HealthCheck>(
  BUILTIN_CHECKS.map(([group, kind, check]) => [key(group, kind), check]),
);

/**
 * Add a check for a kind, or replace the one there; the latest registration wins. Use the core
 * group as `''`. A check may return undefined to leave the decision to the generic check.
 *
 * @example
 * registerHealthCheck('argoproj.io', 'Rollout', (obj) => {
 *   const status = isRecord(obj['status']) ? obj['status'] : {};
 *   return status['phase'] === 'Paused' ? { status: 'Suspended' } : undefined;
 * });
 */
export function registerHealthCheck(group: string, kind: string, check: HealthCheck): void {
  checks.set(key(group, kind), check);
}

/** The check registered for a group and kind, if any. */
export function lookupHealthCheck(group: string, kind: string): HealthCheck | undefined {
  return checks.get(key(group, kind));
}
