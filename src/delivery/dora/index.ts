/**
 * DORA metrics (the four keys, after dora-team/fourkeys) from what the controller sees deploy.
 *
 * Deployment records live in the run store (`store.deployments`: SQLite by default, PostgreSQL
 * with `--database-url`), written by the recorder (recorder.ts) that `sluice controller` runs
 * unless `--no-dora`:
 *
 * - **A deployment** is an Application reaching Synced and Healthy on a new revision that a
 *   sync applied (a new revision that changes nothing the app renders is none), or a Rollout no
 *   Application manages completing a new pod template. Its time is when it became Synced and
 *   Healthy (observe.ts).
 * - **Environment**: the label `sluice.dev/environment` on the Application (or Rollout), else
 *   its destination namespace, else its own namespace.
 * - **Failures**: a sync of a new revision that fails (Failed deployment, deployed when the sync
 *   started), a Rollout of the app aborting, and a rollback (a deployment of an ancestor of the
 *   last revision that ran: the deployment rolled back is failed, the rollback itself is no
 *   change). The next good deployment of the app restores its open failures (decide.ts).
 * - **Commits**: from the Application controller's Git mirror, the committer time of the
 *   deployed revision and every commit it brings over the app's last deployment that ran; a
 *   commit whose message names `Source commit time:` (set-image, promotions: trailers.ts)
 *   counts as its source commit, from that time (changes.ts).
 *
 * The four keys (metrics.ts) with their DORA 2023/2024 bands (bands.ts), over a window
 * (window.ts), per environment and app: `sluice dora` (src/cli/dora), `GET /api/dora` (api.ts)
 * and gauges on /metrics (prometheus.ts), all through report.ts.
 *
 * @example
 * addDora(manager, { store: runStore.deployments, applications, rollouts, commits: mirrors, log });
 */
import type { Manager } from '../../runtime/manager.ts';
import { doraApi } from './api.ts';
import { doraMetrics } from './prometheus.ts';
import { DoraRecorder, type RecorderOptions } from './recorder.ts';

export { doraApi } from './api.ts';
export { BANDS, type Band } from './bands.ts';
export {
  computeDora,
  median,
  type DoraFilter,
  type DoraReport,
  type DoraWindow,
} from './metrics.ts';
export { ENVIRONMENT_LABEL } from './observe.ts';
export { doraMetrics } from './prometheus.ts';
export {
  DoraRecorder,
  type CommitSource,
  type ObjectSource,
  type RecorderOptions,
} from './recorder.ts';
export { doraReport, reportsByEnvironment, type ReportQuery } from './report.ts';
export { DEFAULT_SINCE, windowFrom } from './window.ts';

/** Adds the recorder, the /metrics gauges and GET /api/dora to a Manager. */
export function addDora(manager: Manager, options: RecorderOptions): DoraRecorder {
  const recorder = new DoraRecorder(options);
  manager.add(recorder);
  manager.addMetrics(doraMetrics(options.store));
  manager.addRoutes({ api: { '/api/dora': doraApi(options.store) } });
  return recorder;
}
