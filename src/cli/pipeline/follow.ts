/**
 * Logs of a run's TaskRuns, read where they are: from the pods while they exist (pods/log; with
 * `-f`, `followStepLogs` waits for each step's container and streams it as it is written), and
 * from the run store once a pod is gone. Each step is read in order within its TaskRun; with
 * `-f` the TaskRuns of a run are followed side by side as they appear, so parallel tasks show
 * up as they run. Lines are whole and prefixed `[task : step]` (`(retry n)` for a retry) unless
 * one task and one step were asked for (store/reader.ts `LogPrinter`, shared with the store).
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_RUN_KIND,
  TASK_RUN_KIND,
  type PipelineRun,
  type TaskRun,
} from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { isNotFound, KubeApiError } from '../../kube/errors.ts';
import { Informer } from '../../kube/informer.ts';
import { followStepLogs } from '../../pipelines/kube/logs.ts';
import { ATTEMPT_LABEL, RUN_LABEL, TASK_LABEL } from '../../pipelines/pipelinerun/children.ts';
import { LogPrinter, type RunRef, type RunStore } from '../../pipelines/store/index.ts';
import { runState, isDone } from './view.ts';

export interface Selection {
  task?: string | undefined;
  step?: string | undefined;
  timestamps?: boolean | undefined;
}

/** One stream: a step of one TaskRun (one attempt). */
interface Stream {
  taskRun: string;
  task: string;
  step: string;
  attempt: number;
}

/** Whole, prefixed lines to `write`; what the pods and the store could not give, counted. */
export class LogOutput {
  private readonly printer: LogPrinter;
  private readonly write: (text: string) => void;
  /** Steps whose pod is gone and whose logs the store does not have. */
  readonly lost: string[] = [];

  constructor(prefix: boolean, write: (text: string) => void) {
    this.printer = new LogPrinter({ prefix });
    this.write = write;
  }

  chunk(s: Stream, text: string): void {
    const stream = { ...s, size: 0, rawSize: 0, finished: false };
    const out = this.printer.format({ id: 0, offset: 0, stream, text });
    if (out) this.write(out);
  }

  end(): void {
    const rest = this.printer.end();
    if (rest) this.write(rest);
  }
}

/** Reads a gone pod's step from the store, opened on first use. */
export class StoreFallback {
  private store: Promise<RunStore | undefined> | undefined;
  private readonly open: () => Promise<RunStore | undefined>;
  private readonly ref: RunRef;
  private readonly onFirstRead: (() => void) | undefined;
  private told = false;

  /** `onFirstRead` is called once, when the store first answers with a step's logs. */
  constructor(ref: RunRef, open: () => Promise<RunStore | undefined>, onFirstRead?: () => void) {
    this.ref = ref;
    this.open = open;
    this.onFirstRead = onFirstRead;
  }

  /** The step's stored text; undefined when the store (or its record of the step) is missing. */
  async read(taskRun: string, step: string): Promise<string | undefined> {
    this.store ??= this.open();
    const store = await this.store;
    if (!store) return undefined;
    const history = await store.getRun(this.ref);
    if (!history) return undefined;
    const chunks = await store.readLogs(
      { ...this.ref, uid: history.run.uid },
      { task: taskRun, step },
    );
    if (chunks.length === 0) return undefined;
    if (!this.told) this.onFirstRead?.();
    this.told = true;
    return chunks.map((c) => c.text).join('');
  }

  async close(): Promise<void> {
    const store = await this.store;
    await store?.close();
  }
}

/** The TaskRun's step names, as its pod names the containers (`unnamed-<i>` for no name). */
export function stepsOf(tr: TaskRun): string[] {
  const fromStatus = tr.status?.steps?.map((s) => s.name);
  if (fromStatus && fromStatus.length > 0) return fromStatus;
  const steps = tr.status?.taskSpec?.steps ?? tr.spec.taskSpec?.steps ?? [];
  return steps.map((s, i) => s.name ?? `unnamed-${i}`);
}

export function streamOf(tr: TaskRun, step: string): Stream {
  const labels = tr.metadata.labels ?? {};
  return {
    taskRun: tr.metadata.name,
    task: labels[TASK_LABEL] ?? tr.metadata.name,
    step,
    attempt: Number(labels[ATTEMPT_LABEL] ?? 0) || 0,
  };
}

/** Is `tr` one of the TaskRuns `--task` asks for (by pipeline task or TaskRun name)? */
export const selected = (tr: TaskRun, sel: Selection): boolean =>
  sel.task === undefined || streamOf(tr, '').task === sel.task || tr.metadata.name === sel.task;

/** Oldest first: the order a person reads a run in. */
export const byStart = (a: TaskRun, b: TaskRun): number =>
  (a.status?.startTime ?? a.metadata.creationTimestamp ?? '~').localeCompare(
    b.status?.startTime ?? b.metadata.creationTimestamp ?? '~',
  ) || a.metadata.name.localeCompare(b.metadata.name);

async function podExists(kube: Kube, tr: TaskRun): Promise<boolean> {
  const pod = tr.status?.podName;
  return (
    pod !== undefined && (await kube.get('v1', 'Pod', tr.metadata.namespace, pod)) !== undefined
  );
}

/** The step from the store, when its pod is gone; else noted as lost. */
async function fromStore(tr: TaskRun, step: string, out: LogOutput, store: StoreFallback) {
  const text = await store.read(tr.metadata.name, step);
  if (text === undefined) out.lost.push(`${streamOf(tr, step).task}/${step}`);
  else out.chunk(streamOf(tr, step), text);
}

/** The logs of one TaskRun as they stand: each step from its pod, or from the store. */
export async function readTaskRun(
  kube: Kube,
  tr: TaskRun,
  sel: Selection,
  out: LogOutput,
  store: StoreFallback,
): Promise<void> {
  const pod = tr.status?.podName;
  for (const step of stepsOf(tr).filter((s) => sel.step === undefined || s === sel.step)) {
    if (!pod) continue;
    try {
      const text = await kube.podLog(tr.metadata.namespace, pod, {
        container: `step-${step}`,
        ...(sel.timestamps ? { timestamps: true } : {}),
      });
      out.chunk(streamOf(tr, step), text);
    } catch (err) {
      if (isNotFound(err)) await fromStore(tr, step, out, store);
      // 400: the container has not started (yet, or ever): nothing to show.
      else if (!(err instanceof KubeApiError && err.status === 400)) throw err;
    }
  }
}

/** Follows one TaskRun's steps in order until each has ended (or will never run). */
export async function followTaskRun(
  kube: Kube,
  tr: TaskRun,
  sel: Selection,
  out: LogOutput,
  store: StoreFallback,
  signal: AbortSignal,
): Promise<void> {
  const ref = { namespace: tr.metadata.namespace, name: tr.metadata.name };
  for (const step of stepsOf(tr).filter((s) => sel.step === undefined || s === sel.step)) {
    const end = await followStepLogs(
      kube,
      ref,
      step,
      (t) => out.chunk(streamOf(tr, step), t),
      signal,
      {
        ...(sel.timestamps ? { timestamps: true } : {}),
      },
    );
    if (end.outcome === 'cancelled') return;
    if (end.outcome === 'skipped') {
      const now = await kube.get<TaskRun>(API_VERSION, TASK_RUN_KIND, ref.namespace, ref.name);
      if (now?.status?.podName && !(await podExists(kube, now)))
        await fromStore(now, step, out, store);
    }
  }
}

/**
 * Follows every TaskRun of `run` (those `sel` names) until the run is over and each has been
 * read to its end. Resolves early when `signal` aborts (Ctrl-C).
 */
export async function followRun(
  kube: Kube,
  run: PipelineRun,
  sel: Selection,
  out: LogOutput,
  store: StoreFallback,
  signal: AbortSignal,
): Promise<void> {
  const namespace = run.metadata.namespace;
  const base = { namespace, apiVersion: API_VERSION, onError: () => undefined };
  const taskRuns = new Informer<TaskRun>(kube, {
    ...base,
    kind: TASK_RUN_KIND,
    labelSelector: `${RUN_LABEL}=${run.metadata.name}`,
  });
  const runs = new Informer<PipelineRun>(kube, { ...base, kind: PIPELINE_RUN_KIND });
  const followers = new Map<string, Promise<void>>();
  let failed: ((err: unknown) => void) | undefined;
  const launch = (trs: readonly TaskRun[]): void => {
    for (const tr of [...trs].sort(byStart)) {
      if (followers.has(tr.metadata.name) || !selected(tr, sel)) continue;
      const follower = followTaskRun(kube, tr, sel, out, store, signal);
      // Handled at once (no unhandled rejection); the first failure ends the command.
      follower.catch((err: unknown) => failed?.(err));
      followers.set(tr.metadata.name, follower);
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      failed = reject;
      // Events flow as soon as each informer lists: decide only once both have.
      let synced = false;
      const check = (): void => {
        if (!synced) return;
        launch(taskRuns.list());
        const now = runs.get(namespace, run.metadata.name);
        if (!now || isDone(runState(now).state)) resolve();
      };
      taskRuns.on(check);
      runs.on(check);
      signal.addEventListener('abort', () => resolve(), { once: true });
      Promise.all([taskRuns.start(), runs.start()]).then(() => {
        synced = true;
        check();
      }, reject);
    });
    // The run is over: every TaskRun it made exists now, whatever the watches have delivered.
    const all = await kube.list<TaskRun>(API_VERSION, TASK_RUN_KIND, {
      namespace,
      labelSelector: `${RUN_LABEL}=${run.metadata.name}`,
    });
    if (!signal.aborted) launch(all.items);
    await Promise.all(followers.values());
  } finally {
    taskRuns.stop();
    runs.stop();
  }
}
