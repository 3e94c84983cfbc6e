/**
 * `sluice rollout get NAME --watch`: the same text as `get`, drawn again on every change of the
 * Rollout, its ReplicaSets, their pods or its AnalysisRuns. Four informers (list once, then
 * watch; src/kube/informer.ts) over the Rollout's namespace feed it; changes within 100 ms are
 * drawn once. On a terminal the screen is cleared and redrawn (and ages tick every second);
 * otherwise each new picture is printed after a blank line, only when it differs.
 *
 * Ends on Ctrl-C (exit 0), when the Rollout is deleted (exit 3) or, with `--exit-on-complete`,
 * when the controller reports the current spec Healthy (0) or Degraded (1).
 */
import type { AnalysisRun } from '../../api/analysis.ts';
import { ANALYSIS_RUN_KIND } from '../../api/analysis.ts';
import { API_VERSION } from '../../api/application.ts';
import { ROLLOUT_KIND, type Rollout } from '../../api/rollout.ts';
import { SluiceError, errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import { HASH_LABEL, RolloutNotFoundError, treeOf, type Pod, type ReplicaSet } from './objects.ts';
import { renderRollout } from './render.ts';
import { rolloutView, type RolloutView } from './view.ts';

export interface WatchOptions {
  exitOnComplete: boolean;
  out?: NodeJS.WriteStream;
}

/** Keeps only what `get` reads: managedFields can be most of an object. */
const slim = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, managedFields: [] },
});

/** Done with --exit-on-complete: Healthy/Degraded for the spec as it is now. */
function finished(v: RolloutView): 'Healthy' | 'Degraded' | undefined {
  if (v.stale) return undefined;
  return v.phase === 'Healthy' || v.phase === 'Degraded' ? v.phase : undefined;
}

export async function watchRollout(
  kube: Kube,
  namespace: string,
  name: string,
  opts: WatchOptions,
): Promise<void> {
  const out = opts.out ?? process.stdout;
  const tty = out.isTTY === true;
  let warned = false;
  const onError = (err: unknown): void => {
    if (!warned) process.stderr.write(`• watch interrupted, retrying: ${errorMessage(err)}\n`);
    warned = true;
  };
  const base = { namespace, onError, transform: slim };
  const rollouts = new Informer<Rollout>(kube, {
    ...base,
    apiVersion: API_VERSION,
    kind: ROLLOUT_KIND,
  });
  const sets = new Informer<ReplicaSet>(kube, {
    ...base,
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    labelSelector: HASH_LABEL,
  });
  const pods = new Informer<Pod>(kube, {
    ...base,
    apiVersion: 'v1',
    kind: 'Pod',
    labelSelector: HASH_LABEL,
  });
  const runs = new Informer<AnalysisRun>(kube, {
    ...base,
    apiVersion: API_VERSION,
    kind: ANALYSIS_RUN_KIND,
  });
  const informers = [rollouts, sets, pods, runs] as const;

  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const cleanup: Array<() => void> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const draw = (): void => {
        timer = undefined;
        const ro = rollouts.get(namespace, name);
        if (!ro) {
          reject(new RolloutNotFoundError(namespace, name));
          return;
        }
        const tree = treeOf(ro, {
          replicaSets: sets.list(),
          pods: pods.list(),
          analysisRuns: runs.list(),
        });
        const view = rolloutView(tree);
        const text = renderRollout(view, new Date());
        if (tty) out.write(`\x1b[H\x1b[2J${text}`);
        else if (text !== last) out.write(`${last ? '\n' : ''}${text}`);
        last = text;
        const done = opts.exitOnComplete ? finished(view) : undefined;
        if (done === 'Healthy') resolve();
        if (done === 'Degraded') reject(degraded(view));
      };
      const schedule = (): void => {
        timer ??= setTimeout(draw, 100);
      };
      for (const inf of informers) cleanup.push(inf.on(schedule));
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      cleanup.push(
        () => process.off('SIGINT', stop),
        () => process.off('SIGTERM', stop),
      );
      Promise.all(informers.map((i) => i.start())).then(() => {
        draw();
        if (tty) ticker = setInterval(draw, 1000);
      }, reject);
    });
  } finally {
    for (const c of cleanup) c();
    if (timer) clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    for (const inf of informers) inf.stop();
  }
}

function degraded(v: RolloutView): SluiceError {
  return new SluiceError(
    'RolloutDegraded',
    `Rollout/${v.namespace}/${v.name} is Degraded${v.message ? `: ${v.message}` : ''}`,
    { hint: `\`sluice rollout retry ${v.name}\` starts the update again once fixed` },
  );
}
