/**
 * Turning a PipelineTask whose turn has come into children to start: its `when` evaluated, its
 * params with `$(params.*)`, `$(context.*)`, results (and, in finally, statuses) substituted, a
 * whole-value reference to an array or object staying an array or object; the matrix fanned
 * out; workspaces bound to the run's volumes (a `volumeClaimTemplate` becomes the run's claim);
 * an inline taskSpec given the pipeline params it does not declare, context variables and
 * results (Tekton's propagation); the timeout; deterministic names.
 */
import type {
  Param,
  ParamValue,
  PipelineRun,
  PipelineTask,
  TaskSpec,
  WhenExpression,
  WorkspaceBinding,
} from '../../api/pipeline.ts';
import {
  canonical,
  substitute,
  substituteArray,
  substituteDeep,
  SubstitutionError,
  type Lookup,
} from '../subst.ts';
import { formatGoDuration } from '../duration.ts';
import { fanOut, type Combination } from './matrix.ts';
import { childName, claimName } from './names.ts';
import { parseRef } from './refs.ts';
import type { Attempt } from './state.ts';
import type { StartChild, VolumeClaim } from './types.ts';

export interface ResolveContext {
  run: PipelineRun;
  taskSpecs: Readonly<Record<string, TaskSpec>>;
  /** The run's workspace bindings by name, `volumeClaimTemplate` already replaced by its claim. */
  bindings: ReadonlyMap<string, WorkspaceBinding>;
  /** The lookup of the task's scope (params, context, results, statuses). */
  lookup: Lookup;
  timeoutMs: number;
}

/** A task ready to start: everything but the per-child name, attempt and matrix params. */
export interface Resolved {
  pt: PipelineTask;
  finally: boolean;
  params: Param[];
  combinations: Combination[] | undefined;
  emptyMatrix: boolean;
  taskSpec: TaskSpec;
  metadata?: StartChild['metadata'];
  workspaces: WorkspaceBinding[];
  displayName?: string;
  when: WhenExpression[];
  timeoutMs: number;
}

/** Why a task cannot be resolved: it reads a result that is not there, or a value is unusable. */
export type Unresolved = { kind: 'missing'; ref: string } | { kind: 'invalid'; message: string };

function failure(err: unknown): Unresolved {
  if (
    err instanceof SubstitutionError &&
    err.code === 'Unresolved' &&
    parseRef(err.reference).kind === 'result'
  ) {
    return { kind: 'missing', ref: err.reference };
  }
  return { kind: 'invalid', message: err instanceof Error ? err.message : String(err) };
}

/** A param value with references replaced; `$(params.arr)` / `$(...[*])` as a whole stays whole. */
export function substituteValue(v: ParamValue, lookup: Lookup): ParamValue {
  if (Array.isArray(v)) return substituteArray(v, lookup);
  if (typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, lookup)]));
  }
  const m = /^\$\(([^()]+)\)$/.exec(v.trim());
  if (m) {
    const whole = lookup(canonical(m[1]!));
    if (whole !== undefined && typeof whole !== 'string') return whole;
  }
  return substitute(v, lookup);
}

/** `when` with references replaced, and whether it lets the task run (every expression holds). */
export function evaluateWhen(
  pt: PipelineTask,
  lookup: Lookup,
): { ok: boolean; when: WhenExpression[] } | Unresolved {
  try {
    const when = (pt.when ?? []).map((w) => ({
      input: substitute(w.input, lookup),
      operator: w.operator,
      values: substituteArray(w.values, lookup),
    }));
    const ok = when.every((w) => w.values.includes(w.input) === (w.operator === 'in'));
    return { ok, when };
  } catch (err) {
    return failure(err);
  }
}

/** The matrix params and include entries with references replaced, fanned out. */
function fanOutMatrix(
  pt: PipelineTask,
  lookup: Lookup,
): { combos?: Combination[]; empty: boolean } {
  if (!pt.matrix) return { empty: false };
  const params = (pt.matrix.params ?? []).map((p) => ({
    name: p.name,
    value: substituteArray(p.value, lookup),
  }));
  const include = (pt.matrix.include ?? []).map((e) => ({
    params: e.params.map((p) => ({ name: p.name, value: substitute(p.value, lookup) })),
  }));
  return { combos: fanOut(params, include), empty: params.some((p) => p.value.length === 0) };
}

/** The Task's spec (inline, or the named Task's) and an inline spec's metadata. */
function taskSpecOf(pt: PipelineTask, ctx: ResolveContext) {
  if (!pt.taskSpec) return { base: ctx.taskSpecs[pt.taskRef?.name ?? ''] };
  const { metadata, ...inline } = pt.taskSpec;
  return { base: inline, metadata };
}

/** Resolves `pt` for starting; the when expressions are evaluated by the caller first. */
export function resolveTask(
  pt: PipelineTask,
  isFinally: boolean,
  ctx: ResolveContext,
  when: WhenExpression[],
): Resolved | Unresolved {
  try {
    const params = (pt.params ?? []).map((p) => ({
      name: p.name,
      value: substituteValue(p.value, ctx.lookup),
    }));
    const matrix = fanOutMatrix(pt, ctx.lookup);
    const { base, metadata } = taskSpecOf(pt, ctx);
    if (!base) return { kind: 'invalid', message: `Task "${pt.taskRef?.name ?? ''}" is not known` };
    const displayName = pt.displayName
      ? substitute(pt.displayName, ctx.lookup, { keepUnknown: true })
      : undefined;
    return {
      pt,
      finally: isFinally,
      params,
      combinations: matrix.combos,
      emptyMatrix: matrix.empty,
      taskSpec: pt.taskSpec ? propagate(base, ctx.lookup) : base,
      ...(metadata ? { metadata } : {}),
      workspaces: bindWorkspaces(pt, base, ctx),
      ...(displayName ? { displayName } : {}),
      when,
      timeoutMs: ctx.timeoutMs,
    };
  } catch (err) {
    return failure(err);
  }
}

/** Inline specs get the pipeline params they do not declare themselves, context and results. */
function propagate(spec: TaskSpec, lookup: Lookup): TaskSpec {
  const own = new Set((spec.params ?? []).map((p) => p.name));
  const outer: Lookup = (ref) => {
    const r = parseRef(ref, own);
    if (r.kind === 'param') return own.has(r.name) ? undefined : lookup(ref);
    return r.kind === 'context' || r.kind === 'result' ? lookup(ref) : undefined;
  };
  return substituteDeep(spec, outer, { keepUnknown: true });
}

function bindWorkspaces(pt: PipelineTask, spec: TaskSpec, ctx: ResolveContext): WorkspaceBinding[] {
  const out: WorkspaceBinding[] = [];
  for (const b of pt.workspaces ?? []) {
    const run = ctx.bindings.get(b.workspace ?? b.name);
    if (!run) continue;
    const sub = b.subPath ? substitute(b.subPath, ctx.lookup) : undefined;
    out.push(bound(run, b.name, sub));
  }
  if (pt.taskSpec) {
    for (const w of spec.workspaces ?? []) {
      const run = ctx.bindings.get(w.name);
      if (run && !out.some((o) => o.name === w.name)) out.push(bound(run, w.name, undefined));
    }
  }
  return out;
}

function bound(run: WorkspaceBinding, name: string, subPath: string | undefined): WorkspaceBinding {
  const joined = [run.subPath, subPath].filter((s) => s).join('/');
  const { subPath: _drop, ...rest } = run;
  return { ...rest, name, ...(joined ? { subPath: joined } : {}) };
}

/** The run's workspace bindings; a volumeClaimTemplate becomes one claim per run. */
export function runBindings(run: PipelineRun): {
  bindings: Map<string, WorkspaceBinding>;
  volumeClaims: VolumeClaim[];
} {
  const bindings = new Map<string, WorkspaceBinding>();
  const volumeClaims: VolumeClaim[] = [];
  for (const w of run.spec.workspaces ?? []) {
    if (!w.volumeClaimTemplate) {
      bindings.set(w.name, w);
      continue;
    }
    const name = claimName(run.metadata.name, w.name);
    volumeClaims.push({ workspace: w.name, claimName: name, template: w.volumeClaimTemplate });
    bindings.set(w.name, {
      name: w.name,
      persistentVolumeClaim: { claimName: name },
      ...(w.subPath ? { subPath: w.subPath } : {}),
    });
  }
  return { bindings, volumeClaims };
}

/** The children to create for `at` (one per attempt requested). */
export function startChildren(r: Resolved, runName: string, at: readonly Attempt[]): StartChild[] {
  return at.map((a) => {
    const combo = a.matrixIndex === undefined ? undefined : r.combinations?.[a.matrixIndex];
    return {
      name: childName(runName, r.pt.name, a),
      pipelineTask: r.pt.name,
      finally: r.finally,
      attempt: a.attempt,
      ...(a.matrixIndex === undefined ? {} : { matrixIndex: a.matrixIndex }),
      ...(r.displayName ? { displayName: r.displayName } : {}),
      ...(r.pt.taskRef ? { taskRef: { name: r.pt.taskRef.name, kind: 'Task' as const } } : {}),
      taskSpec: r.taskSpec,
      ...(r.metadata ? { metadata: r.metadata } : {}),
      params: [...r.params, ...(combo ?? [])],
      workspaces: r.workspaces,
      timeout: formatGoDuration(r.timeoutMs),
      timeoutMs: r.timeoutMs,
      retries: r.pt.retries ?? 0,
      ...(r.when.length > 0 ? { whenExpressions: r.when } : {}),
    };
  });
}

/** The first attempt of every child of a resolved task. */
export function firstAttempts(r: Resolved): Attempt[] {
  return r.combinations
    ? r.combinations.map((_, i) => ({ matrixIndex: i, attempt: 0 }))
    : [{ attempt: 0 }];
}
