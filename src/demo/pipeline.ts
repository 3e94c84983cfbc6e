/**
 * The demo's CI part, run once the apps are Synced and Healthy: it creates one PipelineRun of
 * `hello-ci` (the Pipeline GitOps delivered from ci/pipeline.yaml) from the repository's
 * ci/runs/hello-ci.yaml, as `sluice pipeline run -f` does; follows it, one line per change of
 * its tasks' states; prints it as `sluice pipeline get` does (the task graph, each task's state
 * and duration, the run's results); and waits until the run store holds its record and every
 * step's log, so the logs outlive the pods.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../api/application.ts';
import { PIPELINE_RUN_KIND, type PipelineRun, type TaskRun } from '../api/pipeline.ts';
import { FIELD_MANAGER } from '../cli/pipeline/options.ts';
import { runSpec, taskRunsOf } from '../cli/pipeline/objects.ts';
import { renderRun } from '../cli/pipeline/render.ts';
import { isDone, runView, type RunView } from '../cli/pipeline/view.ts';
import { SluiceError } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { FINISHED_STATUSES, type RunStore } from '../pipelines/store/index.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import { CI_NAMESPACE, CI_PIPELINE, CI_RUN_FILE } from './ci-samples.ts';

export interface CiContext {
  kube: Kube;
  repoDir: string;
  /** The store the demo's controller writes records and logs to. */
  store: RunStore;
  progress: Progress;
  print: (line: string) => void;
  stopped: () => boolean;
  /** How long the run may take. */
  timeoutMs: number;
}

export interface CiOutcome {
  run: string;
  view: RunView;
  /** Steps whose logs the store holds. */
  storedSteps: number;
}

/** The PipelineRun of the repository's run file, in the CI namespace. */
export async function runFromRepo(repoDir: string): Promise<PipelineRun> {
  const file = join(repoDir, CI_RUN_FILE);
  const text = await readFile(file, 'utf8').catch(() => '');
  const run = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .find(
      (o): o is PipelineRun =>
        typeof o === 'object' && o !== null && (o as PipelineRun).kind === PIPELINE_RUN_KIND,
    );
  if (!run)
    throw new SluiceError('DemoRepoEdited', `${file} holds no PipelineRun of ${CI_PIPELINE}`, {
      hint: `restore it, or remove ${repoDir} and run the demo again for a fresh repository`,
    });
  return {
    ...run,
    apiVersion: API_VERSION,
    metadata: { ...run.metadata, namespace: CI_NAMESPACE },
  };
}

/** One line: each task and its state, durations once done (`fetch Succeeded 2.1s`). */
export function tasksLine(v: RunView): string {
  const tasks = v.tasks.map((t) => {
    const done = t.completionTime !== undefined && t.durationMs !== undefined;
    return `${t.name} ${t.state}${done ? ` ${formatDuration(t.durationMs ?? 0)}` : ''}`;
  });
  return `${v.name}: ${tasks.join(' · ') || v.state}`;
}

async function viewOf(kube: Kube, run: PipelineRun): Promise<RunView> {
  const [taskRuns, spec] = await Promise.all([taskRunsOf(kube, run), runSpec(kube, run)]);
  return runView(run, taskRuns, spec, new Date());
}

/** Looks at the run every half second, printing each new line, until it is over. */
async function follow(c: CiContext, name: string): Promise<RunView | undefined> {
  const deadline = Date.now() + c.timeoutMs;
  let shown = '';
  while (!c.stopped()) {
    const run = await c.kube.get<PipelineRun>(API_VERSION, PIPELINE_RUN_KIND, CI_NAMESPACE, name);
    if (!run)
      throw new SluiceError('DemoRunDeleted', `PipelineRun/${CI_NAMESPACE}/${name} was deleted`, {
        hint: 'run the demo again',
      });
    const view = await viewOf(c.kube, run);
    const line = tasksLine(view);
    if (line !== shown) c.progress.detail(line);
    shown = line;
    if (isDone(view.state)) return view;
    if (Date.now() > deadline)
      throw new SluiceError(
        'DemoTimeout',
        `PipelineRun/${CI_NAMESPACE}/${name} did not finish within ${c.timeoutMs / 1000}s`,
        { hint: `\`sluice pipeline get ${name} -n ${CI_NAMESPACE}\` shows where it stands` },
      );
    await sleep(500);
  }
  return undefined;
}

/** Steps the run's TaskRuns ran (a skipped task has no TaskRun). */
const stepsRun = (taskRuns: readonly TaskRun[]): number =>
  taskRuns.reduce((n, tr) => n + (tr.status?.steps?.length ?? 0), 0);

/** Waits (up to 30 s) until the store has the run finished and each step's log complete. */
async function stored(c: CiContext, run: PipelineRun): Promise<number> {
  const want = stepsRun(await taskRunsOf(c.kube, run));
  const ref = { kind: 'PipelineRun' as const, namespace: CI_NAMESPACE, name: run.metadata.name };
  const deadline = Date.now() + 30_000;
  let have = 0;
  while (!c.stopped() && Date.now() < deadline) {
    const history = await c.store.getRun(ref);
    have = history?.streams.filter((s) => s.finished).length ?? 0;
    if (history && FINISHED_STATUSES.has(history.run.status) && have >= want) return have;
    await sleep(500);
  }
  return have;
}

/** Starts one run of hello-ci and follows it to its end; undefined when stopped first. */
export async function ciWalkthrough(c: CiContext): Promise<CiOutcome | undefined> {
  const started = Date.now();
  const created = await c.kube.create<PipelineRun>(await runFromRepo(c.repoDir), {
    fieldManager: FIELD_MANAGER,
  });
  const name = created.metadata.name;
  const value = created.spec.params?.find((p) => p.name === 'publish')?.value ?? 'false';
  const publish = typeof value === 'string' ? value : JSON.stringify(value);
  const skips = publish === 'true' ? '' : ', so its "when" skips publish';
  c.progress.step(
    `CI: started PipelineRun ${CI_NAMESPACE}/${name} of ${CI_PIPELINE} (from ${CI_RUN_FILE}; publish=${publish}${skips})`,
  );
  const view = await follow(c, name);
  if (!view) return undefined;
  c.print(`\n$ sluice pipeline get ${name} -n ${CI_NAMESPACE}`);
  c.print(renderRun(view, new Date()));
  if (view.state !== 'Succeeded')
    throw new SluiceError(
      'DemoPipelineFailed',
      `PipelineRun/${CI_NAMESPACE}/${name} ${view.state}${view.message ? `: ${view.message}` : ''}`,
      { hint: `\`sluice pipeline logs ${name} -n ${CI_NAMESPACE}\` says why` },
    );
  const storedSteps = await stored(c, created);
  c.progress.step(
    `CI: ${name} ${view.state} in ${formatDuration(Date.now() - started)}; the run store holds its record and the logs of ${storedSteps} steps, for when the pods are gone`,
  );
  return { run: name, view, storedSteps };
}
