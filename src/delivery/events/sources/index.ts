/**
 * Every event source, in one list: the watcher starts one watch per entry. A new source (the
 * Promotion kind, for `promotion-awaiting-approval`) is one file beside these and one line here
 * (see ../source.ts for the shape).
 */
import type { EventSource } from '../source.ts';
import { applications } from './application.ts';
import { pipelineRuns } from './pipelinerun.ts';
import { rollouts } from './rollout.ts';

export const SOURCES: readonly EventSource[] = [applications, rollouts, pipelineRuns];

export { applications, pipelineRuns, rollouts };
