/**
 * Analysis: AnalysisRuns measured by providers (prometheus, web, job) and judged by a safe
 * condition language, with Argo Rollouts' semantics. What other parts of Sluice use:
 *
 * - `createAnalysisController({ kube, namespaces?, log })`: the AnalysisRun controller, a
 *   runtime Controller for `manager.add`; `analysisMetrics(() => controller.list())` for
 *   `manager.addMetrics`.
 * - `loadTemplates` + `resolveArgs` + `buildAnalysisRun`: the run a Rollout creates from its
 *   templates.
 * - `isCompleted(run.status?.phase)`: the run has its verdict (Successful, Failed, Error,
 *   Inconclusive); `run.status.message` says which metric decided it and why.
 */
export { createAnalysisController, AnalysisRunController } from './controller.ts';
export type { AnalysisControllerOptions } from './controller.ts';
export { buildAnalysisRun, type BuildRunOptions } from './build.ts';
export { resolveArgs, type ResolveContext } from './args.ts';
export { kubeLookup, loadTemplates, type TemplateLookup, type TemplateRef } from './templates.ts';
export { isCompleted, isWorse } from './assess.ts';
export { AnalysisError, type AnalysisErrorCode } from './errors.ts';
export { analysisMetrics } from './metrics.ts';
export { RUN_UID_LABEL } from './providers/job.ts';
export type { ProviderErrorKind } from './providers/types.ts';
