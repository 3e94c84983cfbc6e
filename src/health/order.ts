/** Combining health: the worst status wins, in Argo CD's order. */
import type { HealthStatus } from '../api/application.ts';

/** From best to worst. Unknown is worst: nothing can be promised about it. */
const ORDER: readonly HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

/**
 * The worst of several statuses, e.g. an Application's health from its resources'.
 * An empty list is Healthy (nothing is wrong).
 *
 * @example
 * worstHealth(['Healthy', 'Progressing', 'Suspended']); // 'Progressing'
 */
export function worstHealth(statuses: readonly HealthStatus[]): HealthStatus {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, ORDER.indexOf(s));
  return ORDER[worst] ?? 'Unknown';
}
