/**
 * The pipelines benchmark's three measurements, each against the running controller:
 *
 *   chain   PipelineRuns of chained single-step `true` tasks, one run at a time: per task,
 *           (a) TaskRun created -> its first step's process started, (b) the task before it
 *           finished -> this task's pod created, and the whole gap between the two tasks' steps
 *           (the previous step's exit -> this step's start), with where that gap goes
 *   e2e     a 5-task DAG (fan-out 3, fan-in) and a one-task Pipeline of `true` steps:
 *           PipelineRun created -> Succeeded
 *   queue   N one-step PipelineRuns created at once under the controller's run limit: all
 *           Succeeded, none lost, none run twice, never more than the limit running at once
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineSpec } from '../src/api/pipeline.ts';
import type { Kube } from '../src/kube/api.ts';
import type { Progress } from '../src/util/progress.ts';
import { formatDuration } from '../src/util/progress.ts';
import { mapLimit } from '../src/util/semaphore.ts';
import { RESULTS_CONTAINER } from '../src/pipelines/kube/pods.ts';
import * as fx from './pipelines-fixtures.ts';
import {
  type ContainerdEvents,
  median,
  pct,
  RUN_LABEL,
  type Watches,
} from './pipelines-observe.ts';

export interface World {
  kube: Kube;
  namespace: string;
  /** sluice.dev/v1alpha1, or tekton.dev/v1 for Tekton's controller. */
  apiVersion: string;
  watches: Watches;
  containerd: ContainerdEvents;
  progress: Progress;
}

/** Waits until every named run has ended; throws past the deadline. */
export async function waitEnded(w: World, names: readonly string[], timeoutMs: number) {
  const t0 = Date.now();
  let shown = t0;
  for (;;) {
    const ended = names.filter((n) => w.watches.run.get(n)?.ended !== undefined).length;
    if (ended === names.length) return;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`only ${ended}/${names.length} PipelineRuns ended in ${timeoutMs / 1000} s`);
    if (Date.now() - shown > 10_000 && names.length > 1) {
      w.progress.detail(`${ended}/${names.length} ended after ${formatDuration(Date.now() - t0)}`);
      shown = Date.now();
    }
    await sleep(20);
  }
}

async function runOne(w: World, name: string, spec: PipelineSpec): Promise<number> {
  const t0 = Date.now();
  await w.kube.create(fx.pipelineRun(name, w.namespace, spec, w.apiVersion));
  await waitEnded(w, [name], 300_000);
  const r = w.watches.runs.get(w.namespace, name);
  if (fx.outcome(r) !== 'True')
    throw new Error(`PipelineRun ${name} failed: ${JSON.stringify(r?.status?.conditions)}`);
  return (w.watches.run.get(name)?.ended ?? Date.now()) - t0;
}

export interface ChainResult {
  /** (a) TaskRun created -> first step's process started (containerd), ms. */
  start: number[];
  /** (a) as the API shows it: TaskRun created -> pod status shows the step (watch), ms. */
  startSeen: number[];
  /** (b) task before finished (TaskRun Succeeded seen) -> this task's pod created, ms. */
  handoff: number[];
  /** The gap: previous step's process exited -> this step's process started, ms. */
  gap: number[];
  /** Where the gap goes, medians (ms). */
  parts: Record<string, number>;
}

/** One task's moments (ms since the epoch; NaN when not seen). */
interface TaskTimes {
  created: number;
  ended: number;
  podCreated: number;
  stepSeen: number;
  sandbox: number;
  /** The step container's process started (containerd). */
  stepContainerStart: number;
  /**
   * The step's command started: the container's start for Sluice (the command is the
   * container's process); for Tekton the moment its entrypoint says it ran the command.
   */
  stepStart: number;
  /** When the pod says the command ran (Tekton's entrypoint); NaN when it does not say. */
  commandStart: number;
  stepExit: number;
  resultsStart: number;
  resultsExit: number;
  /** When the pod's status first showed the step / the results container terminated. */
  stepExitSeen: number;
  resultsExitSeen: number;
}

function taskTimes(w: World, tr: string, pod: string): TaskTimes {
  const c = (name: string) => w.containerd.find(w.namespace, pod, name);
  const results = c(RESULTS_CONTAINER);
  const step = c(fx.STEP_CONTAINER);
  const command = w.watches.commandStarted.get(`${pod}/${fx.STEP_CONTAINER}`);
  return {
    created: w.watches.taskRunSeen.get(tr) ?? NaN,
    ended: w.watches.taskRunEnded.get(tr) ?? NaN,
    podCreated: w.watches.podSeen.get(pod) ?? NaN,
    stepSeen: w.watches.stepSeen.get(pod) ?? NaN,
    sandbox: c('sandbox')?.started ?? NaN,
    stepContainerStart: step?.started ?? NaN,
    stepStart: command ?? step?.started ?? NaN,
    commandStart: command ?? NaN,
    stepExit: step?.exited ?? NaN,
    resultsStart: results?.started ?? NaN,
    resultsExit: results?.exited ?? NaN,
    stepExitSeen: w.watches.endSeen.get(`${pod}/${fx.STEP_CONTAINER}`) ?? NaN,
    resultsExitSeen: w.watches.endSeen.get(`${pod}/${RESULTS_CONTAINER}`) ?? NaN,
  };
}

/** Where the time between two chained tasks' steps goes, in order. */
const PARTS: ReadonlyArray<readonly [string, (prev: TaskTimes, t: TaskTimes) => number]> = [
  ['step exit -> TaskRun Succeeded seen', (p) => p.ended - p.stepExit],
  ['step exit -> pod status shows it (kubelet)', (p) => p.stepExitSeen - p.stepExit],
  ['step exit -> results container started (kubelet)', (p) => p.resultsStart - p.stepExit],
  ['results exit -> pod status shows it (kubelet)', (p) => p.resultsExitSeen - p.resultsExit],
  [
    'pod status shows the last container ended -> TaskRun Succeeded seen (TaskRun controller)',
    (p) => p.ended - (Number.isFinite(p.resultsExitSeen) ? p.resultsExitSeen : p.stepExitSeen),
  ],
  ['TaskRun Succeeded -> next TaskRun created', (p, t) => t.created - p.ended],
  ['TaskRun created -> pod created', (_p, t) => t.podCreated - t.created],
  ['pod created -> sandbox started', (_p, t) => t.sandbox - t.podCreated],
  ['sandbox started -> step container started', (_p, t) => t.stepContainerStart - t.sandbox],
  [
    // Only where the pod says when the command ran (Tekton): its entrypoint's waits.
    'step container started -> step command started (entrypoint)',
    (_p, t) => t.commandStart - t.stepContainerStart,
  ],
];

/** `runs` PipelineRuns of `length` chained tasks, one after another. */
export async function chainPhase(w: World, runs: number, length: number): Promise<ChainResult> {
  const out: ChainResult = { start: [], startSeen: [], handoff: [], gap: [], parts: {} };
  const parts = new Map<string, number[]>(PARTS.map(([k]) => [k, []]));
  for (let r = 0; r < runs; r++) {
    const name = `chain-${r}`;
    const ms = await runOne(w, name, fx.chain(length));
    w.progress.detail(`${name}: ${length} tasks in ${formatDuration(ms)}`);
    await sleep(1500); // late containerd events (the last pods' exits) come in
    const trs = w.watches.taskRunsOf(name);
    let prev: TaskTimes | undefined;
    for (let i = 0; i < length; i++) {
      const tr = trs.get(`t${String(i).padStart(2, '0')}`)?.metadata.name;
      const pod = tr ? w.watches.podOf(tr) : undefined;
      if (!tr || !pod) throw new Error(`${name}: task ${i} has no TaskRun or pod`);
      const t = taskTimes(w, tr, pod);
      out.start.push(t.stepStart - t.created);
      out.startSeen.push(t.stepSeen - t.created);
      if (prev) {
        out.handoff.push(t.podCreated - prev.ended);
        out.gap.push(t.stepStart - prev.stepExit);
        for (const [k, f] of PARTS) parts.get(k)?.push(f(prev, t));
      }
      prev = t;
    }
  }
  for (const [k, v] of parts) if (clean(v).length) out.parts[k] = Math.round(median(clean(v)));
  return out;
}

/** The numbers that could be measured (a container not named in time leaves a NaN). */
export const clean = (xs: readonly number[]): number[] => xs.filter((x) => Number.isFinite(x));

/** `runs` runs of `spec`, one after another: PipelineRun created -> Succeeded seen, ms. */
export async function endToEnd(
  w: World,
  prefix: string,
  spec: PipelineSpec,
  runs: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const ms = await runOne(w, `${prefix}-${r}`, spec);
    w.progress.detail(`${prefix}-${r}: ${formatDuration(ms)}`);
    times.push(ms);
  }
  return times;
}

export interface QueueResult {
  created: number;
  succeeded: number;
  failed: number;
  lost: number;
  /** Runs with more than one TaskRun, pod or step process. */
  duplicated: string[];
  /** The most runs running at once (started, not ended), from every watch event. */
  maxRunning: number;
  /** The most TaskRuns not ended at once, from every event. */
  maxActiveTaskRuns: number;
  /** The most TaskRun pods not yet ended, sampled every 100 ms. */
  maxActivePods: number;
  totalS: number;
  /** Created -> started (the queue's wait), p50 / max, s. */
  waitP50S: number;
  waitMaxS: number;
}

/** `n` single-step runs created at once; the controller holds them to its limit. */
export async function queuePhase(w: World, n: number, timeoutMs: number): Promise<QueueResult> {
  const names = Array.from({ length: n }, (_, i) => `q-${String(i).padStart(3, '0')}`);
  w.watches.resetMax();
  let maxActivePods = 0;
  const sampler = setInterval(() => {
    const active = w.watches.pods
      .list()
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length;
    maxActivePods = Math.max(maxActivePods, active);
  }, 100);
  const t0 = Date.now();
  try {
    await mapLimit(names, 32, (name) =>
      w.kube.create(fx.pipelineRun(name, w.namespace, fx.single())),
    );
    w.progress.detail(`${n} PipelineRuns created in ${formatDuration(Date.now() - t0)}`);
    await waitEnded(w, names, timeoutMs).catch((err: unknown) =>
      w.progress.detail(err instanceof Error ? err.message : String(err)),
    );
  } finally {
    clearInterval(sampler);
  }
  const ends = names.map((x) => w.watches.run.get(x)?.ended ?? NaN);
  const totalS = (Math.max(...clean(ends)) - t0) / 1000;
  await sleep(1500);
  const verdicts = names.map((x) => fx.outcome(w.watches.runs.get(w.namespace, x)));
  const taskRuns = new Map<string, number>();
  for (const tr of w.watches.taskRuns.list()) {
    const run = tr.metadata.labels?.[RUN_LABEL] ?? '';
    taskRuns.set(run, (taskRuns.get(run) ?? 0) + 1);
  }
  const steps = w.containerd.startsByPod(w.namespace, fx.STEP_CONTAINER);
  const duplicated = names.filter((x) => {
    const pods = [...(w.watches.podsOfRun.get(x) ?? [])];
    const starts = pods.reduce((s, p) => s + (steps.get(p) ?? 0), 0);
    return (taskRuns.get(x) ?? 0) > 1 || pods.length > 1 || starts > 1;
  });
  const waits = names.map((x) => {
    const t = w.watches.run.get(x);
    return t?.started !== undefined ? (t.started - t.seen) / 1000 : NaN;
  });
  return {
    created: n,
    succeeded: verdicts.filter((v) => v === 'True').length,
    failed: verdicts.filter((v) => v === 'False').length,
    lost: verdicts.filter((v) => v === undefined).length,
    duplicated,
    maxRunning: w.watches.maxRunning,
    maxActiveTaskRuns: w.watches.maxActiveTaskRuns,
    maxActivePods,
    totalS,
    waitP50S: median(clean(waits)),
    waitMaxS: pct(clean(waits), 100),
  };
}
