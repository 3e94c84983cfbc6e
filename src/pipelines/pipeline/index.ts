/**
 * The Pipeline engine: everything that decides what a PipelineRun does next, as pure functions —
 * the single source of truth for Tekton v1 semantics, shared by the Kubernetes PipelineRun
 * controller and the local executor (`sluice pipeline run --local`). No Kubernetes, no processes.
 *
 * The caller's loop, after every change of the run or of one of its children (and after
 * `requeueAfterMs`):
 *
 * ```ts
 * const p = plan({ run, pipelineSpec, taskSpecs, children, now: new Date() });
 * for (const v of p.volumeClaims) await ensureClaim(v.claimName, v.template); // once per run
 * for (const c of p.cancel) await cancelChild(c.name, c.message);            // idempotent
 * for (const s of p.start) await createChild(s);    // deterministic names: "exists" = done
 * await patchStatus({ startTime: p.startTime, finallyStartTime: p.finallyStartTime,
 *   conditions: [p.condition], skippedTasks: p.skipped, results: p.done ? p.results : undefined });
 * if (!p.done && p.requeueAfterMs) requeueAfter(p.requeueAfterMs);
 * ```
 *
 * - `children` are what exists: one per attempt and matrix combination (`<run>-<task>`,
 *   `<run>-<task>-<i>`, `-r<n>` for the n-th retry), each with its pipeline task, attempt,
 *   matrix index, status (Pending | Running | Succeeded | Failed), reason (`TaskRunCancelled`
 *   and `TaskRunTimeout` mean what Tekton means), results and times.
 * - Keep `p.startTime` and `p.finallyStartTime` in the run's status: the clocks read them back.
 *   Once the condition is True or False the run is over; plan() then just repeats it.
 * - Retries: by default the engine starts a new child per attempt; with
 *   `options.retries: 'child'` the child retries itself (TaskRun `spec.retries = start.retries`).
 *
 * Files: plan.ts (the step) → evaluate.ts, judge.ts, view.ts (per task) → state.ts (children),
 * resolve.ts (params, when, matrix, workspaces), scope.ts (what `$(...)` means), status.ts
 * (condition, results); validate*.ts (before anything runs), dag.ts, matrix.ts, params.ts,
 * refs.ts, timeouts.ts, names.ts, errors.ts, types.ts; Go durations are ../duration.ts.
 */
export { plan } from './plan.ts';
export { validatePipeline, type ValidateInput } from './validate.ts';
export {
  PipelineError,
  PIPELINE_ERROR_CODES,
  REASON_OF,
  type PipelineErrorCode,
} from './errors.ts';
export { buildGraph, describeCycle, readyTasks, roots, type Graph } from './dag.ts';
export { fanOut, countCombinations } from './matrix.ts';
export { childName, claimName } from './names.ts';
export { formatGoDuration, parseGoDuration } from '../duration.ts';
export { CANCEL_MESSAGES } from './evaluate.ts';
export {
  SKIP_REASONS,
  TASK_RUN_REASONS,
  type CancelCause,
  type CancelChild,
  type ChildState,
  type ChildStatus,
  type Plan,
  type PlanInput,
  type PlanOptions,
  type SkippedTask,
  type SkipReason,
  type StartChild,
  type TaskPhase,
  type TaskState,
  type VolumeClaim,
} from './types.ts';
