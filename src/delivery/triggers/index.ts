/**
 * Triggers: a Git push (signed webhook) or a new commit seen by polling starts a PipelineRun.
 *
 * - `api/trigger.ts`: the Trigger resource and the labels its runs carry.
 * - Pure: `glob.ts` (filters), `match.ts` (which refs and commits, path filters), `template.ts`
 *   (the run for a commit: name, labels, `$(trigger.*)`), `concurrency.ts` (Allow,
 *   CancelPrevious, Queue), `spec.ts` (validation, Ready), `draft.ts` (the status a reconcile
 *   builds).
 * - With Git and Kubernetes: `git.ts` (ls-remote, commit details from a mirror), `runs.ts` (the
 *   runs' cache and writes), `check.ts` (one check of a repository), `request.ts` (runs by
 *   hand), `reconcile.ts`, `controller.ts` (the Runnable `sluice controller` adds).
 */
export { pushConcerns, TriggerController, type TriggerControllerOptions } from './controller.ts';
export { refKey, runName, TRIGGER_VARIABLES } from './template.ts';
export { queuePositions, runState } from './concurrency.ts';
export { parseRequest } from './request.ts';
