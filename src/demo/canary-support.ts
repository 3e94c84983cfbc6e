/**
 * What the demo's canary app needs besides the cluster, for as long as the demo runs: a real
 * Prometheus on 127.0.0.1:19090 (the address its AnalysisTemplate names) scraping the app's pods
 * on the real node, and a little traffic to its stable and canary Services (their NodePorts on
 * the real node's address), so the analysis has requests to count.
 *
 * Without Prometheus (not installed, or its port taken) the canary app is left out and the demo
 * says how to get it; everything else still runs.
 */
import { join } from 'node:path';
import {
  PrometheusError,
  startPrometheus,
  type RunningPrometheus,
} from '../devcluster/prometheus.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import type { Kube } from '../kube/api.ts';
import { errorMessage } from '../errors.ts';
import type { Progress } from '../util/progress.ts';
import {
  APP_PORT,
  CANARY_NAMESPACE,
  CANARY_NODE_PORT,
  DEMO_PROMETHEUS_PORT,
  STABLE_NODE_PORT,
} from './canary-samples.ts';
import { startLoad, type Load } from './load.ts';
import { scrapePods, type PodScrape } from './scrape.ts';

/** Requests a second sent to each of the two Services. */
export const LOAD_PER_SECOND = 10;

export interface CanarySupport {
  prometheus: RunningPrometheus;
  /** The stable and canary Services, as the host reaches them. */
  urls: readonly string[];
  stop(): Promise<void>;
}

export const serviceUrls = (nodeIp: string): string[] =>
  [STABLE_NODE_PORT, CANARY_NODE_PORT].map((p) => `http://${nodeIp}:${p}/`);

/** Starts Prometheus, the pod scrape and the traffic; undefined (said why) without Prometheus. */
export async function startCanarySupport(
  kube: Kube,
  nodeIp: string,
  progress: Progress,
): Promise<CanarySupport | undefined> {
  let prometheus: RunningPrometheus;
  try {
    prometheus = await startPrometheus({
      jobName: 'demo',
      port: DEMO_PROMETHEUS_PORT,
      dir: join(cacheRoot(), 'demo', 'prometheus'),
    });
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    if (err.code !== 'PrometheusMissing' && err.code !== 'PrometheusPortInUse') throw err;
    progress.detail(
      `${err.describe()}\n  The "canary" app (its analysis asks Prometheus) is left out.`,
    );
    return undefined;
  }
  let scrape: PodScrape | undefined;
  let load: Load | undefined;
  try {
    scrape = await scrapePods(
      kube,
      CANARY_NAMESPACE,
      APP_PORT,
      (groups) => prometheus.setTargets(groups),
      (err) => progress.detail(`watching the canary pods: ${errorMessage(err)}`),
    );
    const urls = serviceUrls(nodeIp);
    load = startLoad(urls, LOAD_PER_SECOND);
    progress.detail(
      `Prometheus at ${prometheus.url} scrapes the canary pods; ${LOAD_PER_SECOND} requests a second go to ${urls.join(' and ')}`,
    );
    const running = { scrape, load };
    return {
      prometheus,
      urls,
      stop: async () => {
        running.scrape.stop();
        await running.load.stop();
        await prometheus.stop();
      },
    };
  } catch (err) {
    scrape?.stop();
    await load?.stop();
    await prometheus.stop();
    throw err;
  }
}
