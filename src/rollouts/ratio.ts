/**
 * Canary weight without a traffic router: the share of pods. Argo Rollouts' rule, which users
 * rely on: of the pairs (canary, stable) within the surge allowance, the one whose pod share is
 * closest to the weight — 10 replicas at 41 % give 4 canary / 6 stable (40 %), not 5 / 5.
 * Then the rolling limits: never more than replicas + maxSurge pods, never fewer than
 * replicas - maxUnavailable available.
 */

/** `25%` of 10 rounds up for surge and down for unavailable, as Deployments do. */
export function resolveIntOrPercent(
  value: number | string | undefined,
  total: number,
  fallback: string,
  roundUp: boolean,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return Math.max(0, Math.trunc(v));
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) {
    const n = Number(v);
    return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export interface RatioTarget {
  canary: number;
  stable: number;
}

/** The (canary, stable) pod counts whose canary share is closest to `weight` percent. */
export function weightedCounts(replicas: number, weight: number, maxSurge: number): RatioTarget {
  if (replicas <= 0) return { canary: 0, stable: 0 };
  if (weight <= 0) return { canary: 0, stable: replicas };
  if (weight >= 100) return { canary: replicas, stable: 0 };
  const exact = (replicas * weight) / 100;
  const floor = Math.floor(exact);
  const ceil = Math.ceil(exact);
  const options: RatioTarget[] = [
    { canary: floor, stable: replicas - floor },
    { canary: ceil, stable: replicas - ceil },
  ];
  // One more pod than `replicas`, when surge allows: the canary rounded up, the stable kept.
  if (maxSurge > 0 && ceil !== floor) options.push({ canary: ceil, stable: replicas - floor });
  let best = options[0]!;
  let bestDiff = Infinity;
  for (const o of options) {
    const share = (100 * o.canary) / (o.canary + o.stable);
    const diff = Math.abs(share - weight);
    // A weight above 0 never rounds to no canary at all.
    if (o.canary === 0) continue;
    if (diff < bestDiff - 1e-9) {
      best = o;
      bestDiff = diff;
    }
  }
  return best;
}
