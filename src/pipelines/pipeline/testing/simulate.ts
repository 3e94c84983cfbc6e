/**
 * A simulated executor for tests: runs a whole PipelineRun through repeated plan() calls, the
 * way a controller would, on a virtual clock. Each child the plan starts runs for the time the
 * test's script says and ends as it says (succeeded with results, failed); a child past its own
 * timeout ends TaskRunTimeout; a cancelled child ends TaskRunCancelled at once. Returns every
 * plan, the children and a log of what happened (`start ci-1-build`, `cancel ...`, `end ...`).
 */
import type { ParamValue, PipelineRun, PipelineSpec, TaskSpec } from '../../../api/pipeline.ts';
import { plan } from '../plan.ts';
import {
  TASK_RUN_REASONS,
  type ChildState,
  type Plan,
  type PlanOptions,
  type StartChild,
} from '../types.ts';
import { T0 } from './fixtures.ts';

export interface Outcome {
  status?: 'Succeeded' | 'Failed';
  /** How long it runs (ms); default 1000. */
  ms?: number;
  results?: Record<string, ParamValue>;
}

/** How a started child ends; called once per child. */
export type Script = (c: StartChild) => Outcome;

export interface Simulation {
  plans: Plan[];
  final: Plan;
  children: ChildState[];
  started: StartChild[];
  log: string[];
  run: PipelineRun;
}

interface Live {
  state: ChildState;
  endsAt: number;
  outcome: Outcome;
  /** It runs past its own timeout, so it ends TaskRunTimeout then. */
  timesOut: boolean;
}

export function simulate(o: {
  run: PipelineRun;
  pipelineSpec: PipelineSpec;
  taskSpecs: Record<string, TaskSpec>;
  script: Script;
  options?: PlanOptions;
  maxSteps?: number;
}): Simulation {
  let now = T0.getTime();
  let run = o.run;
  const live: Live[] = [];
  const sim: Simulation = {
    plans: [],
    final: undefined as never,
    children: [],
    started: [],
    log: [],
    run,
  };
  for (let step = 0; step < (o.maxSteps ?? 200); step++) {
    const p = plan({
      run,
      pipelineSpec: o.pipelineSpec,
      taskSpecs: o.taskSpecs,
      children: live.map((l) => l.state),
      now: new Date(now),
      ...(o.options ? { options: o.options } : {}),
    });
    sim.plans.push(p);
    run = persist(run, p);
    for (const c of p.cancel) cancel(live, c.name, now, sim.log);
    for (const s of p.start) start(live, s, now, o.script, sim);
    if (p.done) {
      sim.final = p;
      break;
    }
    // a cancelled child stops at once: look again now, as a controller does on the change
    if (p.cancel.length > 0) continue;
    const next = Math.min(
      ...live.filter((l) => active(l)).map((l) => l.endsAt),
      p.requeueAfterMs ? now + p.requeueAfterMs : Infinity,
    );
    if (!Number.isFinite(next))
      throw new Error(`simulation stuck at step ${step}: ${JSON.stringify(p.condition)}`);
    now = Math.max(now, next);
    for (const l of live) if (active(l) && l.endsAt <= now) end(l, sim.log);
  }
  if (!sim.final) throw new Error('simulation did not finish');
  sim.children = live.map((l) => l.state);
  sim.run = run;
  return sim;
}

/** What a controller keeps in the run's status after a step. */
function persist(run: PipelineRun, p: Plan): PipelineRun {
  const status = {
    ...run.status,
    ...(p.startTime ? { startTime: p.startTime } : {}),
    ...(p.finallyStartTime ? { finallyStartTime: p.finallyStartTime } : {}),
    ...(p.done ? { conditions: [p.condition], results: p.results } : {}),
  };
  return { ...run, status };
}

function active(l: Live): boolean {
  return l.state.status === 'Pending' || l.state.status === 'Running';
}

function start(live: Live[], s: StartChild, now: number, script: Script, sim: Simulation): void {
  if (live.some((l) => l.state.name === s.name)) return;
  const outcome = script(s);
  const ms = outcome.ms ?? 1000;
  const timedOut = s.timeoutMs > 0 && ms > s.timeoutMs;
  const state: ChildState = {
    name: s.name,
    pipelineTask: s.pipelineTask,
    attempt: s.attempt,
    ...(s.matrixIndex === undefined ? {} : { matrixIndex: s.matrixIndex }),
    status: 'Running',
    startTime: new Date(now).toISOString(),
  };
  const endsAt = now + (timedOut ? s.timeoutMs : ms);
  live.push({
    state,
    endsAt,
    outcome: timedOut ? { status: 'Failed' } : outcome,
    timesOut: timedOut,
  });
  sim.started.push(s);
  sim.log.push(`start ${s.name}`);
}

function end(l: Live, log: string[]): void {
  const timedOut = l.timesOut;
  const status = l.outcome.status ?? 'Succeeded';
  const reason = timedOut
    ? TASK_RUN_REASONS.timeout
    : status === 'Succeeded'
      ? TASK_RUN_REASONS.succeeded
      : TASK_RUN_REASONS.failed;
  const results = Object.entries(l.outcome.results ?? {}).map(([name, value]) => ({ name, value }));
  l.state = {
    ...l.state,
    status,
    reason,
    completionTime: new Date(l.endsAt).toISOString(),
    ...(results.length > 0 ? { results } : {}),
  };
  log.push(`end ${l.state.name} ${reason}`);
}

function cancel(live: Live[], name: string, now: number, log: string[]): void {
  const l = live.find((x) => x.state.name === name);
  if (!l || !active(l)) return;
  l.state = {
    ...l.state,
    status: 'Failed',
    reason: TASK_RUN_REASONS.cancelled,
    completionTime: new Date(now).toISOString(),
  };
  log.push(`cancel ${name}`);
}
