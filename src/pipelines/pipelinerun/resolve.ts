/**
 * What a PipelineRun runs: its Pipeline's spec (inline `pipelineSpec`, or the Pipeline
 * `pipelineRef` names; once started, the copy kept in `status.pipelineSpec`, so editing the
 * Pipeline never changes a run in flight) and the spec of every Task a `taskRef` names. A Task
 * that does not exist is left out: the engine fails the run naming it (CouldntGetTask). Pure,
 * over lookups the controller serves from its caches.
 */
import type { PipelineRun, PipelineSpec, TaskSpec } from '../../api/pipeline.ts';

export interface Lookups {
  pipeline: (name: string) => PipelineSpec | undefined;
  task: (name: string) => TaskSpec | undefined;
}

export type Resolved =
  | { spec: PipelineSpec; name: string; taskSpecs: Record<string, TaskSpec> }
  | { error: string; reason: string };

export function resolvePipeline(run: PipelineRun, lookups: Lookups): Resolved {
  const ref = run.spec.pipelineRef?.name;
  let spec = run.status?.pipelineSpec ?? run.spec.pipelineSpec;
  if (!spec && ref) spec = lookups.pipeline(ref);
  if (!spec) {
    return ref
      ? {
          reason: 'CouldntGetPipeline',
          error: `Pipeline "${ref}" named in spec.pipelineRef does not exist in namespace ${run.metadata.namespace}`,
        }
      : { reason: 'PipelineValidationFailed', error: 'spec needs pipelineRef or pipelineSpec' };
  }
  const taskSpecs: Record<string, TaskSpec> = {};
  for (const t of [...spec.tasks, ...(spec.finally ?? [])]) {
    const name = t.taskRef?.name;
    if (!name || taskSpecs[name]) continue;
    const found = lookups.task(name);
    if (found) taskSpecs[name] = found;
  }
  return { spec, name: ref ?? run.metadata.name, taskSpecs };
}
