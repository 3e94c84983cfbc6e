/**
 * A PipelineRun's status after one plan of the engine, as Tekton writes it: start times,
 * `pipelineSpec` (what the run runs, kept once started), childReferences, skippedTasks, results
 * and completionTime once done, the `Succeeded` condition (its lastTransitionTime kept while the
 * status and reason stay), the queue position gone. Pure; the PipelineRun controller and the
 * local executor both write it.
 */
import type { PipelineRun, PipelineRunStatus, PipelineSpec } from '../../api/pipeline.ts';
import type { ChildState, Plan } from '../pipeline/index.ts';
import { childReferences } from './children.ts';

export function statusAfter(
  run: PipelineRun,
  p: Plan,
  spec: PipelineSpec,
  children: readonly ChildState[],
  now: Date,
): PipelineRunStatus {
  const at = now.toISOString();
  const { queuePosition: _left, ...previous } = run.status ?? {};
  const old = previous.conditions?.find((c) => c.type === 'Succeeded');
  const same = old?.status === p.condition.status && old.reason === p.condition.reason;
  return {
    ...previous,
    ...(p.startTime ? { startTime: p.startTime } : {}),
    ...(p.finallyStartTime ? { finallyStartTime: p.finallyStartTime } : {}),
    pipelineSpec: spec,
    childReferences: childReferences(children, p.start),
    skippedTasks: p.skipped,
    ...(p.done ? { results: p.results, completionTime: at } : {}),
    conditions: [
      { ...p.condition, lastTransitionTime: same ? (old.lastTransitionTime ?? at) : at },
    ],
  };
}
