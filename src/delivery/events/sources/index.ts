/**
 * Every event source, in one list: the watcher starts one watch per entry. A new source is one
 * file beside these and one line here (see ../source.ts for the shape).
 */
import type { EventSource } from '../source.ts';
import { applications } from './application.ts';
import { pipelineRuns } from './pipelinerun.ts';
import { promotions } from './promotion.ts';
import { rollouts } from './rollout.ts';

export const SOURCES: readonly EventSource[] = [applications, rollouts, pipelineRuns, promotions];

export { applications, pipelineRuns, promotions, rollouts };
