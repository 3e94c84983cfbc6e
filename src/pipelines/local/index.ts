/**
 * The local executor: `sluice pipeline run -f FILE --local` runs a Pipeline on this machine, each
 * step a process in a temp work dir, with the cluster's semantics because it is driven by the same
 * code — the engine's `plan()` (../pipeline) in the controller's loop, Tasks resolved by
 * ../task, TaskRun objects and statuses as the cluster's (../pipelinerun/children.ts,
 * ../kube/runstatus.ts). `image` is not used locally (a notice lists the images).
 *
 * Files: run.ts (the loop, `runLocal`), start.ts (refusals and notices before anything runs),
 * documents.ts (the YAML → the run), taskrun.ts (one TaskRun) → prepare.ts, steps.ts,
 * workspaces.ts, process.ts, results.ts; wait.ts, errors.ts, types.ts; testing.ts (test helpers).
 */
export { runLocal, DEFAULT_CONCURRENCY } from './run.ts';
export { LocalRunError, type LocalRunErrorCode } from './errors.ts';
export type { LocalEvent, LocalRunOptions, NoticeCode } from './types.ts';
