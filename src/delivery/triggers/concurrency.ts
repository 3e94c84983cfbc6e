/**
 * A Trigger's concurrency policy over the runs of one trigger and ref (pure):
 *
 * - Allow: every run starts at once, side by side.
 * - CancelPrevious: a new run cancels the runs before it that are not finished
 *   (`spec.status: Cancelled`, as `sluice pipeline cancel` does).
 * - Queue: one run at a time, in the order they arrived. A run that must wait is created held
 *   (`spec.status: PipelineRunPending`, visible as such in `sluice pipeline runs`); when the run
 *   ahead finishes, the oldest held one is let go (its `spec.status` removed).
 *
 * Order is the run's `sluice.dev/queued-at` annotation (milliseconds), then its name.
 */
import type { PipelineRun } from '../../api/pipeline.ts';
import { QUEUED_AT_ANNOTATION, type ConcurrencyPolicy } from '../../api/trigger.ts';

export interface RunState {
  name: string;
  /** When it arrived (RFC 3339, ms). */
  arrived: string;
  /** Finished: Succeeded True or False. */
  done: boolean;
  /** Held: `spec.status: PipelineRunPending`. */
  held: boolean;
  /** Asked to stop (any Cancelled / Stopped spec.status): it is ending. */
  cancelling: boolean;
}

export function runState(r: PipelineRun): RunState {
  const s = r.status?.conditions?.find((c) => c.type === 'Succeeded')?.status;
  const spec = r.spec.status;
  return {
    name: r.metadata.name,
    arrived: r.metadata.annotations?.[QUEUED_AT_ANNOTATION] ?? r.metadata.creationTimestamp ?? '',
    done: s === 'True' || s === 'False',
    held: spec === 'PipelineRunPending',
    cancelling: spec !== undefined && spec !== 'PipelineRunPending',
  };
}

const byArrival = (a: RunState, b: RunState): number =>
  a.arrived.localeCompare(b.arrived) || a.name.localeCompare(b.name);

export interface Admission {
  /** Create the new run held. */
  held: boolean;
  /** Cancel these runs (names). */
  cancel: string[];
}

/** How a new run of a trigger and ref starts, given the other runs of that trigger and ref. */
export function admit(policy: ConcurrencyPolicy, others: readonly RunState[]): Admission {
  const unfinished = others.filter((r) => !r.done);
  if (policy === 'CancelPrevious')
    return { held: false, cancel: unfinished.filter((r) => !r.cancelling).map((r) => r.name) };
  if (policy === 'Queue') return { held: unfinished.length > 0, cancel: [] };
  return { held: false, cancel: [] };
}

/**
 * The held runs to let go now. Queue: the oldest, once no run of the ref is running. Any other
 * policy (the trigger's policy changed while runs waited): all of them.
 */
export function toRelease(policy: ConcurrencyPolicy, runs: readonly RunState[]): string[] {
  const held = runs.filter((r) => r.held && !r.done).sort(byArrival);
  if (policy !== 'Queue') return held.map((r) => r.name);
  const running = runs.some((r) => !r.done && !r.held);
  const first = held[0];
  return running || !first ? [] : [first.name];
}

/** 1-based places of the held runs, oldest first (for `sluice trigger get`). */
export function queuePositions(runs: readonly RunState[]): Map<string, number> {
  const held = runs.filter((r) => r.held && !r.done).sort(byArrival);
  return new Map(held.map((r, i) => [r.name, i + 1]));
}
