/**
 * The pipelines benchmark's measurements common to every controller measured (Sluice's, then
 * Tekton's): the warm-up runs, the chained tasks, the 5-task DAG and one-task runs, and the
 * figures a row shows.
 */
import { loadavg } from 'node:os';
import * as fx from './pipelines-fixtures.ts';
import { median, pct } from './pipelines-observe.ts';
import { chainPhase, clean, endToEnd, waitEnded, type World } from './pipelines-phases.ts';

/** How many runs each measurement makes (`--chain-runs`, `--chain-length`, `--dag-runs`). */
export interface Sizes {
  chainRuns: number;
  chainLength: number;
  dagRuns: number;
}

/** The 1-minute load average, one decimal. */
export const load1 = (): number => +(loadavg()[0] ?? 0).toFixed(1);

export interface Timings {
  /** The gap between chained tasks' steps; (a) TaskRun created -> step; (b) hand-off. */
  gap: number[];
  start: number[];
  handoff: number[];
  parts: Record<string, number>;
  dag: number[];
  one: number[];
}

export const ms = (x: number): number => Math.round(x);

/** Chained tasks, the 5-task DAG and one-task runs against whichever controller runs. */
export async function timings(
  w: World,
  sizes: Sizes,
  load: Record<string, number>,
  who: string,
): Promise<Timings> {
  const { progress } = w;
  const { chainRuns, chainLength, dagRuns } = sizes;
  load['chain'] = load1();
  progress.step(`${who}: per-task overhead, ${chainRuns} runs of ${chainLength} chained tasks`);
  const chain = await chainPhase(w, chainRuns, chainLength);
  const [start, gap, handoff] = [clean(chain.start), clean(chain.gap), clean(chain.handoff)];
  progress.detail(
    `(a) TaskRun created -> step running: p50 ${ms(median(start))} ms, p99 ${ms(pct(start, 99))} ms (${start.length} tasks; as pod status shows it: p50 ${ms(median(clean(chain.startSeen)))} ms)`,
  );
  progress.detail(
    `(b) task finished -> next pod created: p50 ${ms(median(handoff))} ms, p99 ${ms(pct(handoff, 99))} ms (${handoff.length} hand-offs)`,
  );
  progress.detail(
    `gap step exit -> next step start: p50 ${ms(median(gap))} ms, p99 ${ms(pct(gap, 99))} ms; where it goes (medians): ${JSON.stringify(chain.parts)}`,
  );
  load['dag5'] = load1();
  progress.step(`${who}: a 5-task DAG and a one-task Pipeline end to end, ${dagRuns} runs each`);
  const dag = await endToEnd(w, 'dag5', fx.dag5(), dagRuns);
  progress.detail(`5-task DAG: median ${(median(dag) / 1000).toFixed(2)} s`);
  // Tekton's maintainers publish this one (tektoncd/pipeline#10152): a warm one-step run.
  const one = await endToEnd(w, 'one', fx.single(), dagRuns);
  progress.detail(`one-task PipelineRun: median ${(median(one) / 1000).toFixed(2)} s`);
  return { gap, start, handoff, parts: chain.parts, dag, one };
}

/** Warm-up runs: the image pulled on the real node, the controller's first reconciles done. */
export async function warmUp(w: World): Promise<void> {
  const runs = ['warm-0', 'warm-1'];
  await w.kube.create(fx.pipelineRun('warm-0', w.namespace, fx.single(), w.apiVersion));
  await waitEnded(w, ['warm-0'], 300_000);
  await w.kube.create(fx.pipelineRun('warm-1', w.namespace, fx.chain(3), w.apiVersion));
  await waitEnded(w, runs, 300_000);
  for (const n of runs) {
    const r = w.watches.runs.get(w.namespace, n);
    if (fx.outcome(r) !== 'True')
      throw new Error(`warm-up run ${n} did not succeed: ${JSON.stringify(r?.status)}`);
  }
}

export function figures(t: Timings) {
  return {
    task_overhead_p50_ms: ms(median(t.gap)),
    task_overhead_p99_ms: ms(pct(t.gap, 99)),
    task_start_p50_ms: ms(median(t.start)),
    task_start_p99_ms: ms(pct(t.start, 99)),
    handoff_p50_ms: ms(median(t.handoff)),
    handoff_p99_ms: ms(pct(t.handoff, 99)),
    dag5_s: +(median(t.dag) / 1000).toFixed(2),
    one_task_s: +(median(t.one) / 1000).toFixed(2),
  };
}
