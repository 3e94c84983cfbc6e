/**
 * `sluice pipeline get RUN --watch`: the same text as `get`, drawn again whenever the run or
 * one of its TaskRuns changes. Two informers (the namespace's PipelineRuns; the TaskRuns
 * labelled with the run) feed it; changes within 100 ms are drawn once. On a terminal the screen
 * is cleared and redrawn (durations tick every second); otherwise each new picture is printed
 * after a blank line, only when it differs.
 *
 * Ends on Ctrl-C (exit 0), when the run is deleted (exit 3) or, with `--exit-on-complete`, when
 * the run is over: Succeeded exit 0, Failed or Cancelled exit 1.
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_RUN_KIND,
  TASK_RUN_KIND,
  type PipelineRun,
  type PipelineSpec,
  type TaskRun,
} from '../../api/pipeline.ts';
import { SluiceError, errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import { RUN_LABEL } from '../../pipelines/pipelinerun/children.ts';
import { runNotFound, runSpec } from './objects.ts';
import { renderRun } from './render.ts';
import { isDone, runView, specOf, type RunView } from './view.ts';

export interface WatchOptions {
  exitOnComplete: boolean;
  out?: NodeJS.WriteStream;
}

const slimmed = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, managedFields: [] },
});

/** Exit 1 for a run that did not succeed: what `--exit-on-complete`, `--wait` and `--showlog` say. */
export function runFailed(
  v: Pick<RunView, 'name' | 'namespace' | 'state' | 'reason' | 'message'> &
    Partial<Pick<RunView, 'tasks'>>,
  hint = `see why with \`sluice pipeline logs ${v.name} -n ${v.namespace}\``,
): SluiceError {
  const why = [v.reason !== v.state ? v.reason : '', v.message].filter(Boolean).join(': ');
  const failed = (v.tasks ?? [])
    .filter((t) => t.state === 'Failed' || t.state === 'TimedOut')
    .map((t) => `\n  ${t.name} ${t.state}${t.message ? `: ${t.message}` : ''}`);
  return new SluiceError(
    v.state === 'Cancelled' ? 'PipelineRunCancelled' : 'PipelineRunFailed',
    `PipelineRun/${v.namespace}/${v.name} ${v.state}${why ? ` (${why})` : ''}${failed.join('')}`,
    { hint },
  );
}

export async function watchRun(
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
  const base = { namespace, onError, transform: slimmed };
  const runs = new Informer<PipelineRun>(kube, {
    ...base,
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
  });
  const taskRuns = new Informer<TaskRun>(kube, {
    ...base,
    apiVersion: API_VERSION,
    kind: TASK_RUN_KIND,
    labelSelector: `${RUN_LABEL}=${name}`,
  });
  const informers = [runs, taskRuns] as const;
  // A run by pipelineRef shows its spec in status once the controller has read the Pipeline;
  // until then the Pipeline's own spec is read once.
  let fallback: Promise<PipelineSpec | undefined> | undefined;
  let spec: PipelineSpec | undefined;

  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const cleanup: Array<() => void> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const draw = (): void => {
        timer = undefined;
        const run = runs.get(namespace, name);
        if (!run) {
          reject(runNotFound(namespace, name));
          return;
        }
        if (!specOf(run) && !fallback) {
          fallback = runSpec(kube, run).catch(() => undefined);
          fallback.then((s) => {
            spec = s;
            schedule();
          }, reject);
        }
        const view = runView(run, taskRuns.list(), specOf(run) ?? spec, new Date());
        const text = renderRun(view, new Date());
        if (tty) out.write(`\x1b[H\x1b[2J${text}`);
        else if (text !== last) out.write(`${last ? '\n' : ''}${text}`);
        last = text;
        if (opts.exitOnComplete && isDone(view.state)) {
          if (view.state === 'Succeeded') resolve();
          else reject(runFailed(view));
        }
      };
      // Events flow as soon as each informer lists: draw only once both have.
      let synced = false;
      const schedule = (): void => {
        if (synced) timer ??= setTimeout(draw, 100);
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
        synced = true;
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

/** Resolves when the run is over (or `signal` aborts); exit 3 if it is deleted first. */
export async function waitForRun(
  kube: Kube,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  const runs = new Informer<PipelineRun>(kube, {
    namespace,
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    transform: slimmed,
    onError: () => undefined,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        const run = runs.get(namespace, name);
        if (!run) reject(runNotFound(namespace, name));
        else if (isDone(runView(run, [], undefined, new Date()).state)) resolve();
      };
      runs.on(check);
      signal.addEventListener('abort', () => resolve(), { once: true });
      runs.start().then(check, reject);
    });
  } finally {
    runs.stop();
  }
}
