/** The shapes every health check speaks: one result, an optional context, and the check itself. */
import type { HealthStatus } from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';

/** What a check concludes about one live object. */
export interface HealthResult {
  status: HealthStatus;
  /** Why, in words a person can act on; left out when there is nothing to add. */
  message?: string;
}

/** Inputs a check may need besides the object; `now` lets tests pin the clock. */
export interface HealthContext {
  now?: Date;
}

/** Returns undefined when it has no opinion (then the generic kstatus check decides). */
export type HealthCheck = (obj: KubeObject, ctx: HealthContext) => HealthResult | undefined;
