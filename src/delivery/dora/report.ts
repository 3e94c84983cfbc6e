/**
 * DORA reports from the store: the deployments of a window (`--since`), filtered by environment
 * and app, through computeDora (metrics.ts). One function for the CLI, the API and /metrics, so
 * the three always agree.
 */
import type { DeploymentStore } from '../../pipelines/store/index.ts';
import { computeDora, type DoraReport } from './metrics.ts';
import { windowFrom } from './window.ts';

export interface ReportQuery {
  environment?: string | undefined;
  /** `name` or `namespace/name`. */
  app?: string | undefined;
  /** `30d`, `2w`, a date (window.ts); default 30 days. */
  since?: string | undefined;
}

/**
 * The four keys for the query, as of `now`.
 *
 * @example
 * const report = await doraReport(store.deployments, { environment: 'prod', since: '30d' });
 */
export async function doraReport(
  store: DeploymentStore,
  q: ReportQuery,
  now = Date.now(),
): Promise<DoraReport> {
  const window = windowFrom(q.since, now);
  const [namespace, app] = q.app?.includes('/') ? q.app.split('/', 2) : [undefined, q.app];
  const records = await store.list({
    environment: q.environment,
    namespace,
    app,
    since: window.since,
    until: window.until,
  });
  return computeDora(records, window, {
    ...(q.environment !== undefined ? { environment: q.environment } : {}),
    ...(q.app !== undefined ? { app: q.app } : {}),
  });
}

/** One report per environment that deployed within the window (for /metrics). */
export async function reportsByEnvironment(
  store: DeploymentStore,
  since: string,
  now = Date.now(),
): Promise<Map<string, DoraReport>> {
  const window = windowFrom(since, now);
  const records = await store.list({ since: window.since, until: window.until });
  const out = new Map<string, DoraReport>();
  for (const env of new Set(records.map((r) => r.environment)))
    out.set(env, computeDora(records, window, { environment: env }));
  return out;
}
