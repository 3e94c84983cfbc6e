/**
 * The Pipeline engine's step function: from a PipelineRun, its Pipeline, the Tasks it names, what
 * its children are doing and the time, what happens next — children to start and to cancel,
 * tasks skipped, the `Succeeded` condition, results, and when to look again. Pure and
 * deterministic: the Kubernetes controller and the local executor both call it after every
 * change and do what it says, so both run a Pipeline the same way (Tekton v1 semantics).
 *
 * In order: `spec.status: PipelineRunPending` waits (until a child exists); a run whose condition
 * is already True or False stays so; validation failures end the run (PipelineValidationFailed,
 * ParameterMissing, ...); `spec.status: Cancelled` cancels everything (finally too);
 * `timeouts.pipeline` running out cancels everything (PipelineRunTimeout) — unless every child
 * had ended before it; otherwise evaluate.ts decides per task and status.ts words the condition.
 *
 * @example
 * const p = plan({ run, pipelineSpec, taskSpecs, children, now: new Date() });
 * for (const c of p.cancel) await cancel(c.name, c.message);
 * for (const s of p.start) await create(s); // name is deterministic: "exists" means done
 * await writeStatus(p.condition, p.skipped, p.done ? p.results : undefined);
 * if (!p.done && p.requeueAfterMs) requeue(p.requeueAfterMs);
 */
import type { PipelineRun, RunCondition, RunResult } from '../../api/pipeline.ts';
import { buildGraph } from './dag.ts';
import { formatGoDuration } from '../duration.ts';
import { validationCondition } from './errors.ts';
import { CANCEL_MESSAGES, evaluate } from './evaluate.ts';
import { resolveParams } from './params.ts';
import { runBindings } from './resolve.ts';
import { derive } from './state.ts';
import { condition, pipelineResults, skippedTasks, taskStates } from './status.ts';
import {
  budgets,
  childTimeoutMs,
  deadlines,
  DEFAULT_PIPELINE_TIMEOUT_MS,
  nextDeadline,
  passed,
  type Budgets,
} from './timeouts.ts';
import {
  SKIP_REASONS,
  type CancelCause,
  type CancelChild,
  type Plan,
  type PlanInput,
  type PlanOptions,
  type SkipReason,
} from './types.ts';
import { locate, validatePipeline } from './validate.ts';
import { DONE, type EvalContext, type View } from './view.ts';

type Options = Required<PlanOptions>;

const ref = (kind: string, run: PipelineRun, name = run.metadata.name) =>
  `${kind}/${run.metadata.namespace}/${name}`;

const cond = (status: RunCondition['status'], reason: string, message: string): RunCondition => ({
  type: 'Succeeded',
  status,
  reason,
  message,
});

function blank(): Omit<Plan, 'condition' | 'done' | 'volumeClaims'> {
  return { start: [], cancel: [], skipped: [], results: [], tasks: [], errors: [], warnings: [] };
}

export function plan(input: PlanInput): Plan {
  const { run } = input;
  const o: Options = {
    retries: 'engine',
    defaultTimeoutMs: DEFAULT_PIPELINE_TIMEOUT_MS,
    maxMatrixCombinations: 256,
    ...input.options,
  };
  const early = pendingOrOver(input);
  if (early) return early;
  const startTime = run.status?.startTime ?? input.now.toISOString();
  const pipelineName = input.pipelineName ?? run.spec.pipelineRef?.name ?? run.metadata.name;
  const errors = validatePipeline({
    spec: input.pipelineSpec,
    object: run.spec.pipelineRef ? ref('Pipeline', run, pipelineName) : ref('PipelineRun', run),
    run: { object: ref('PipelineRun', run), spec: run.spec, defaultTimeoutMs: o.defaultTimeoutMs },
    taskSpecs: input.taskSpecs,
    maxMatrixCombinations: o.maxMatrixCombinations,
  });
  if (errors.length > 0) {
    const { reason, message } = validationCondition(errors);
    const cancel = cancelAll(input, 'Cancelled');
    const base = { ...blank(), cancel, errors, startTime, volumeClaims: [] };
    return { ...base, condition: cond('False', reason, message), done: true };
  }
  const b = budgets(run.spec, o.defaultTimeoutMs);
  const { ctx, volumeClaims, warnings } = context(input, o, b, startTime, pipelineName);
  return { ...blank(), startTime, volumeClaims, warnings, ...decide(input, ctx, b, startTime) };
}

/** A pending run waits; a finished run stays finished (a restarted controller, a late event). */
function pendingOrOver(input: PlanInput): Plan | undefined {
  const { run } = input;
  if (run.spec.status === 'PipelineRunPending' && input.children.length === 0) {
    const message = `PipelineRun "${run.metadata.name}" is pending`;
    const condition = cond('Unknown', 'PipelineRunPending', message);
    return { ...blank(), volumeClaims: [], condition, done: false };
  }
  const over = run.status?.conditions?.find(
    (c) => c.type === 'Succeeded' && c.status !== 'Unknown',
  );
  if (!over) return undefined;
  const results = run.status?.results ?? [];
  const startTime = run.status?.startTime ?? input.now.toISOString();
  return { ...blank(), results, startTime, volumeClaims: [], condition: over, done: true };
}

type Decision = Omit<Plan, 'startTime' | 'volumeClaims' | 'warnings' | 'errors'>;

/** Cancelled outright, out of time, or an ordinary step. */
function decide(input: PlanInput, ctx: EvalContext, b: Budgets, startTime: string): Decision {
  const name = ctx.run.metadata.name;
  const none = { start: [], skipped: [], results: [] };
  if (ctx.run.spec.status === 'Cancelled') {
    const condition = cond('False', 'Cancelled', `PipelineRun "${name}" was cancelled`);
    const tasks = taskStates(halted(ctx));
    return { ...none, cancel: cancelAll(input, 'Cancelled'), tasks, condition, done: true };
  }
  const step = running(input, ctx, b, startTime);
  const deadline = ctx.deadlines.pipeline;
  if (!passed(deadline, ctx.nowMs) || finishedBy(deadline, step, input)) return step;
  const views = halted(ctx, SKIP_REASONS.pipelineTimeout);
  const within = formatGoDuration(b.pipeline ?? 0);
  const message = `PipelineRun "${name}" failed to finish within "${within}"`;
  return {
    start: [],
    cancel: cancelAll(input, 'PipelineRunTimeout'),
    results: pipelineResults(input.pipelineSpec, byName(views)).results,
    tasks: taskStates(views),
    skipped: skippedTasks(views),
    condition: cond('False', 'PipelineRunTimeout', message),
    done: true,
  };
}

/** Everything the evaluation needs to know about the run. */
function context(
  input: PlanInput,
  o: Options,
  b: Budgets,
  startTime: string,
  pipelineName: string,
) {
  const { run, pipelineSpec: spec } = input;
  const nowMs = input.now.getTime();
  const params = resolveParams(spec.params ?? [], run.spec.params ?? []);
  const warnings = params.extra.map(
    (n) => `param "${n}" is not declared by the Pipeline; it is ignored`,
  );
  const { bindings, volumeClaims } = runBindings(run);
  const finallyStartMs = finallyStart(input);
  const d = deadlines(b, Date.parse(startTime), finallyStartMs);
  const ctx: EvalContext = {
    run,
    spec,
    all: locate(spec),
    graph: buildGraph(spec.tasks),
    children: input.children,
    taskSpecs: input.taskSpecs,
    params,
    context: {
      'pipelineRun.name': run.metadata.name,
      'pipelineRun.namespace': run.metadata.namespace,
      'pipelineRun.uid': run.metadata.uid ?? '',
      'pipeline.name': pipelineName,
    },
    workspacesBound: new Map((spec.workspaces ?? []).map((w) => [w.name, bindings.has(w.name)])),
    bindings,
    timeoutMs: (at) => childTimeoutMs(at.pt, at.finally, b),
    deadlines: d,
    nowMs,
    retries: o.retries,
    gracefulCancel: run.spec.status === 'CancelledRunFinally',
    gracefulStop: run.spec.status === 'StoppedRunFinally',
    // the tasks ran out of time only if the clock passed before finally began
    tasksTimedOut: passed(d.tasks, Math.min(nowMs, finallyStartMs ?? nowMs)),
    finallyTimedOut: passed(d.finally, nowMs),
  };
  return { ctx, volumeClaims, warnings };
}

/** The ordinary step: evaluate, word the condition, results once done, when to look again. */
function running(input: PlanInput, ctx: EvalContext, b: Budgets, startTime: string) {
  const ev = evaluate(ctx);
  const views = ctx.all.map((at) => ev.views.get(at.pt.name)!);
  const fin = views.filter((v) => v.at.finally);
  const finallyStartMs =
    finallyStart(input) ?? (ev.start.some((s) => s.finally) ? ctx.nowMs : undefined);
  const status = condition(ctx.run, views, {
    gracefulCancel: ctx.gracefulCancel,
    gracefulStop: ctx.gracefulStop,
    tasksTimedOut: ctx.tasksTimedOut,
    tasksTimeoutMs: b.tasks,
    finallyDone: fin.every((v) => DONE.has(v.phase)),
    hasFinally: fin.length > 0,
  });
  const out = {
    start: status.done ? [] : ev.start,
    results: [] as RunResult[],
    cancel: ev.cancel,
    skipped: skippedTasks(views),
    tasks: taskStates(views, status.done ? [] : ev.start),
    ...status,
    ...(finallyStartMs === undefined
      ? {}
      : { finallyStartTime: new Date(finallyStartMs).toISOString() }),
  };
  if (!status.done) {
    const next = nextDeadline(deadlines(b, Date.parse(startTime), finallyStartMs), ctx.nowMs);
    return next === undefined ? out : { ...out, requeueAfterMs: next };
  }
  const { results, invalid } = pipelineResults(input.pipelineSpec, ev.views);
  if (invalid.length === 0) return { ...out, results };
  const message = `PipelineRun "${ctx.run.metadata.name}": results ${invalid.join(', ')} read task results that were not produced`;
  return { ...out, results, condition: cond('False', 'CouldntGetPipelineResult', message) };
}

/** The run ended (every child too) before `deadline`: a late look is no timeout. */
function finishedBy(
  deadline: number | undefined,
  step: { done: boolean; cancel: CancelChild[] },
  input: PlanInput,
): boolean {
  const ended = (t: string | undefined) => t !== undefined && Date.parse(t) <= (deadline ?? 0);
  return (
    step.done && step.cancel.length === 0 && input.children.every((c) => ended(c.completionTime))
  );
}

function byName(views: View[]): Map<string, View> {
  return new Map(views.map((v) => [v.at.pt.name, v]));
}

/** When finally began: as kept in status, else the earliest finally child. */
function finallyStart(input: PlanInput): number | undefined {
  const kept = input.run.status?.finallyStartTime;
  if (kept) return Date.parse(kept);
  const names = new Set((input.pipelineSpec.finally ?? []).map((t) => t.name));
  const kids = input.children.filter((c) => names.has(c.pipelineTask));
  if (kids.length === 0) return undefined;
  const starts = kids.map((c) => (c.startTime ? Date.parse(c.startTime) : input.now.getTime()));
  return Math.min(...starts);
}

function cancelAll(input: PlanInput, cause: CancelCause): CancelChild[] {
  return input.children
    .filter((c) => c.status === 'Pending' || c.status === 'Running')
    .map((c) => ({
      name: c.name,
      pipelineTask: c.pipelineTask,
      cause,
      message: CANCEL_MESSAGES[cause],
    }));
}

/** Views of a run that was stopped outright: begun tasks as their children stand, the rest not run. */
function halted(ctx: EvalContext, skip?: SkipReason): View[] {
  return ctx.all.map((at) => {
    const kids = ctx.children.filter((c) => c.pipelineTask === at.pt.name);
    if (kids.length === 0)
      return skip ? { at, phase: 'Skipped', skip, reason: skip } : { at, phase: 'Waiting' };
    const derived = derive(at.pt, kids, { mayStart: false, retries: ctx.retries });
    return {
      at,
      phase: derived.phase,
      derived,
      ...(derived.reason ? { reason: derived.reason } : {}),
    };
  });
}
