/**
 * `GET /api/dora?env=prod&app=web&since=30d` on the controller's HTTP server: the same report as
 * `sluice dora -o json` (report.ts). A bad `since` is 400 with the error and its hint; every
 * other parameter is optional.
 */
import { SluiceError } from '../../errors.ts';
import type { DeploymentStore } from '../../pipelines/store/index.ts';
import { doraReport } from './report.ts';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const param = (q: URLSearchParams, name: string): string | undefined => q.get(name) || undefined;

/**
 * The handler of GET /api/dora.
 *
 * @example
 * manager.addRoutes({ api: { '/api/dora': doraApi(store.deployments) } });
 */
export function doraApi(
  store: DeploymentStore,
  now: () => number = Date.now,
): (query: URLSearchParams) => Promise<ApiAnswer> {
  return async (query) => {
    try {
      const body = await doraReport(
        store,
        {
          environment: param(query, 'env'),
          app: param(query, 'app'),
          since: param(query, 'since'),
        },
        now(),
      );
      return { status: 200, body };
    } catch (err) {
      if (err instanceof SluiceError && err.exitCode === 2)
        return { status: 400, body: { error: err.message, code: err.code, hint: err.hint } };
      throw err;
    }
  };
}
