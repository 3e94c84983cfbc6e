/**
 * The per-namespace limit on concurrent PipelineRuns (`--max-concurrent-runs`): runs start in
 * the order they were created (FIFO, name as the tie-break), never more than the limit at once
 * in one namespace; the others wait with their position in the queue shown in status. A run
 * that has started keeps its slot until it finishes; a pending (`PipelineRunPending`) or
 * finished run holds none. Pure: the controller gives it the runs its cache holds.
 */
export interface QueuedRun {
  namespace: string;
  name: string;
  /** metadata.creationTimestamp (RFC 3339). */
  created: string;
  /** It has started (holds a slot) — status.startTime is set and it is not finished. */
  running: boolean;
  /** It is finished (Succeeded condition True or False). */
  done: boolean;
  /** spec.status is PipelineRunPending: not ready to run, holds no place. */
  pending: boolean;
}

export interface QueueVerdict {
  /** The run may start now. */
  start: boolean;
  /** 1-based position among the waiting runs of its namespace (when it may not start). */
  position?: number;
}

/** Whether a run may start, given every run of its namespace; limit 0 = no limit. */
export function admit(run: QueuedRun, all: readonly QueuedRun[], limit: number): QueueVerdict {
  if (run.running || run.done) return { start: true };
  if (run.pending) return { start: false };
  if (limit <= 0) return { start: true };
  const same = all.filter((r) => r.namespace === run.namespace);
  const running = same.filter((r) => r.running && !r.done).length;
  const waiting = same
    .filter((r) => !r.running && !r.done && !r.pending)
    .sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  const index = waiting.findIndex((r) => r.name === run.name);
  const free = Math.max(0, limit - running);
  if (index >= 0 && index < free) return { start: true };
  return { start: false, position: index - free + 1 };
}
