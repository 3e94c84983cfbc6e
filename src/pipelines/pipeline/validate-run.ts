/**
 * Validation of a run against its Pipeline and Tasks, before anything starts:
 * - run params: every param without a default is given, with the declared type, within its
 *   `enum`, objects with every declared key, array items read within bounds (params the Pipeline
 *   does not declare are accepted and ignored, as Tekton);
 * - tasks: each `taskRef` names a known Task; each Task gets every param it requires, of its
 *   type (a matrix gives strings); results read from a task are results its Task declares
 *   (matrixed: string results only); workspaces the Task needs are bound, and only those;
 * - run workspaces: every non-optional Pipeline workspace is bound; timeouts parse and fit.
 */
import type {
  ParamSpec,
  ParamValue,
  PipelineRunSpec,
  PipelineSpec,
  TaskSpec,
} from '../../api/pipeline.ts';
import { ErrorList, type PipelineError } from './errors.ts';
import { article, paramTypeOf, resolveParams, valueTypeOf } from './params.ts';
import { parseRef, taskReferences } from './refs.ts';
import { validateTimeouts } from './timeouts.ts';
import type { Located } from './validate.ts';
import {
  checkResultRefs,
  checkTaskParams,
  checkTaskWorkspaces,
  type TaskCtx,
} from './validate-tasks.ts';

export interface RunToValidate {
  /** `PipelineRun/ns/name`. */
  object: string;
  spec: PipelineRunSpec;
  defaultTimeoutMs?: number;
}

type Ctx = TaskCtx;

export function validateRun(
  spec: PipelineSpec,
  all: Located[],
  run: RunToValidate,
  taskSpecs: Readonly<Record<string, TaskSpec>>,
): PipelineError[] {
  const out = new ErrorList(run.object);
  const tasks = new Map(all.map((at) => [at.pt.name, { at, task: specOf(at, taskSpecs, out) }]));
  const ctx: Ctx = {
    spec,
    params: new Map((spec.params ?? []).map((p) => [p.name, p])),
    tasks,
    out,
  };
  checkRunParams(ctx, run.spec, all);
  for (const { at, task } of tasks.values()) if (task) checkTaskParams(ctx, at, task);
  for (const { at, task } of tasks.values()) if (task) checkTaskWorkspaces(ctx, at, task);
  checkResultRefs(ctx, all);
  checkRunWorkspaces(ctx, run.spec);
  out.errors.push(
    ...validateTimeouts(
      run.object,
      run.spec,
      all.map((a) => a.pt),
      run.defaultTimeoutMs,
    ),
  );
  return out.errors;
}

function specOf(
  at: Located,
  taskSpecs: Readonly<Record<string, TaskSpec>>,
  out: ErrorList,
): TaskSpec | undefined {
  if (at.pt.taskSpec) return at.pt.taskSpec;
  const name = at.pt.taskRef?.name;
  if (name === undefined) return undefined;
  const t = taskSpecs[name];
  const remote = 'resolver' in (at.pt.taskRef ?? {}) || 'bundle' in (at.pt.taskRef ?? {});
  if (!t && !remote)
    out.add(
      'TaskNotFound',
      `${at.field}.taskRef`,
      `${at.label} runs Task "${name}", which does not exist`,
    );
  return t;
}

function checkRunParams(ctx: Ctx, run: PipelineRunSpec, all: Located[]): void {
  const given = new Map((run.params ?? []).map((p) => [p.name, p.value]));
  for (const s of ctx.params.values()) {
    const v = given.get(s.name);
    const type = paramTypeOf(s);
    if (v === undefined) {
      if (s.default === undefined)
        ctx.out.add(
          'MissingParam',
          'spec.params',
          `param "${s.name}" has no value and the Pipeline gives no default`,
        );
      continue;
    }
    if (valueTypeOf(v) !== type) {
      ctx.out.add(
        'TypeMismatch',
        `spec.params[${s.name}]`,
        `param "${s.name}" is ${article(type)} but the run gives ${article(valueTypeOf(v))}`,
      );
    } else if (s.enum && typeof v === 'string' && !s.enum.includes(v)) {
      ctx.out.add(
        'InvalidParamValue',
        `spec.params[${s.name}]`,
        `param "${s.name}": "${v}" is not one of ${s.enum.join(', ')}`,
      );
    }
    checkObjectKeys(ctx, s, v);
  }
  checkIndexes(ctx, run, all);
}

function checkObjectKeys(ctx: Ctx, s: ParamSpec, v: ParamValue): void {
  if (typeof v !== 'object' || Array.isArray(v) || !s.properties) return;
  const def =
    s.default && typeof s.default === 'object' && !Array.isArray(s.default) ? s.default : {};
  const missing = Object.keys(s.properties).filter((k) => !(k in v) && !(k in def));
  if (missing.length > 0) {
    ctx.out.add(
      'MissingObjectKeys',
      `spec.params[${s.name}]`,
      `object param "${s.name}" lacks key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  }
}

function checkIndexes(ctx: Ctx, run: PipelineRunSpec, all: Located[]): void {
  const { values, declared } = resolveParams(ctx.spec.params ?? [], run.params ?? []);
  for (const at of all) {
    for (const f of taskReferences(at.pt)) {
      const r = parseRef(f.ref, declared);
      const v = r.kind === 'param' && r.index !== undefined ? values.get(r.name) : undefined;
      if (r.kind === 'param' && Array.isArray(v) && r.index !== undefined && r.index >= v.length) {
        ctx.out.add(
          'IndexOutOfRange',
          `${at.field}.${f.field}`,
          `${at.label}: $(${f.ref}) reads item ${r.index} of param "${r.name}", which has ${v.length}`,
        );
      }
    }
  }
}

function checkRunWorkspaces(ctx: Ctx, run: PipelineRunSpec): void {
  const bound = new Set((run.workspaces ?? []).map((w) => w.name));
  for (const w of ctx.spec.workspaces ?? []) {
    if (!w.optional && !bound.has(w.name)) {
      ctx.out.add(
        'MissingWorkspace',
        'spec.workspaces',
        `workspace "${w.name}" of the Pipeline is not bound`,
      );
    }
  }
}
