/**
 * Validation of a Pipeline before anything runs — everything that is wrong is reported at once,
 * each a PipelineError naming the task and field:
 * - this file: the graph and declarations — `runAfter` to tasks that exist (not finally ones),
 *   no cycle (named: "a → b → c → a"), no `runAfter` in finally, params and workspaces declared
 *   once (defaults of the declared type), pipeline results that read task results;
 * - validate-shape.ts: each task's own shape (names, taskRef xor taskSpec, when, matrix, and
 *   Tekton fields Sluice does not run);
 * - validate-refs.ts: every `$(...)` a task uses;
 * - validate-run.ts and validate-tasks.ts: the run against the Pipeline and its Tasks (params,
 *   types, results, workspaces, timeouts).
 *
 * @example
 * validatePipeline({ spec, object: 'Pipeline/ci/build' }).map((e) => e.code); // ['Cycle']
 */
import type { PipelineSpec, PipelineTask, TaskSpec } from '../../api/pipeline.ts';
import { referencesIn } from '../subst.ts';
import { buildGraph, describeCycle } from './dag.ts';
import { ErrorList, type PipelineError } from './errors.ts';
import { paramTypeOf, valueTypeOf } from './params.ts';
import { parseRef } from './refs.ts';
import { checkReferences } from './validate-refs.ts';
import { checkMatrix, checkNames, checkShape, checkWhen } from './validate-shape.ts';
import { validateRun, type RunToValidate } from './validate-run.ts';

/** A task with where it sits: `spec.tasks[2]`, `task "deploy"` / `finally task "notify"`. */
export interface Located {
  pt: PipelineTask;
  finally: boolean;
  field: string;
  label: string;
}

export function locate(spec: PipelineSpec): Located[] {
  const at = (finallyTask: boolean) => (pt: PipelineTask, i: number) => ({
    pt,
    finally: finallyTask,
    field: `spec.${finallyTask ? 'finally' : 'tasks'}[${i}]`,
    label: `${finallyTask ? 'finally task' : 'task'} "${pt.name}"`,
  });
  return [...spec.tasks.map(at(false)), ...(spec.finally ?? []).map(at(true))];
}

export interface ValidateInput {
  spec: PipelineSpec;
  /** `Pipeline/ns/name` (or the PipelineRun that embeds the spec). */
  object: string;
  /** With a run: its params, workspaces and timeouts are checked too. */
  run?: RunToValidate;
  /** With task specs: params, result and workspace names are checked against each Task. */
  taskSpecs?: Readonly<Record<string, TaskSpec>>;
  maxMatrixCombinations?: number;
}

/** Every problem of the Pipeline (and of the run and Tasks, when given); empty when it can run. */
export function validatePipeline(input: ValidateInput): PipelineError[] {
  const out = new ErrorList(input.object);
  const all = locate(input.spec);
  checkNames(all, out);
  checkShape(all, out);
  checkRunAfter(input.spec, all, out);
  checkWhen(all, out);
  checkParamDeclarations(input.spec, all, out);
  checkWorkspaceDeclarations(input.spec, all, out);
  checkMatrix(all, out, input.maxMatrixCombinations ?? 256);
  checkPipelineResults(input.spec, out);
  checkReferences(input.spec, all, out);
  const errors = out.errors;
  if (input.run) errors.push(...validateRun(input.spec, all, input.run, input.taskSpecs ?? {}));
  return errors;
}

function checkRunAfter(spec: PipelineSpec, all: Located[], out: ErrorList): void {
  const dag = new Set(spec.tasks.map((t) => t.name));
  const fin = new Set((spec.finally ?? []).map((t) => t.name));
  if (fin.size > 0 && dag.size === 0) {
    out.add(
      'InvalidFinally',
      'spec.finally',
      `spec.tasks is empty but spec.finally has ${fin.size} tasks`,
    );
  }
  for (const { pt, field, label, finally: isFinally } of all) {
    if (isFinally && (pt.runAfter ?? []).length > 0) {
      out.add(
        'InvalidFinally',
        `${field}.runAfter`,
        `${label}: finally tasks cannot use runAfter (they all run once the tasks are done)`,
      );
      continue;
    }
    for (const name of pt.runAfter ?? []) {
      if (name === pt.name) out.add('Cycle', `${field}.runAfter`, `${label} runs after itself`);
      else if (fin.has(name))
        out.add(
          'InvalidFinally',
          `${field}.runAfter`,
          `${label} runs after finally task "${name}": tasks cannot wait for finally tasks`,
        );
      else if (!dag.has(name))
        out.add(
          'MissingTask',
          `${field}.runAfter`,
          `${label} runs after "${name}", which is not a task of this Pipeline`,
        );
    }
  }
  const g = buildGraph(spec.tasks);
  if (g.cycle && g.cycle.length > 2) {
    out.add('Cycle', 'spec.tasks', `the tasks form a cycle: ${describeCycle(g.cycle)}`);
  }
}

function checkParamDeclarations(spec: PipelineSpec, all: Located[], out: ErrorList): void {
  const seen = new Set<string>();
  (spec.params ?? []).forEach((p, i) => {
    if (seen.has(p.name))
      out.add('InvalidParam', `spec.params[${i}]`, `param "${p.name}" is declared more than once`);
    seen.add(p.name);
    if (p.default !== undefined && valueTypeOf(p.default) !== paramTypeOf(p)) {
      out.add(
        'TypeMismatch',
        `spec.params[${i}].default`,
        `param "${p.name}" is ${paramTypeOf(p)} but its default is ${valueTypeOf(p.default)}`,
      );
    }
    if (p.enum && typeof p.default === 'string' && !p.enum.includes(p.default)) {
      out.add(
        'InvalidParamValue',
        `spec.params[${i}].default`,
        `param "${p.name}": default "${p.default}" is not one of ${p.enum.join(', ')}`,
      );
    }
  });
  for (const { pt, field, label } of all) {
    const names = (pt.params ?? []).map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup)
      out.add('InvalidParam', `${field}.params`, `${label} passes param "${dup}" more than once`);
  }
}

function checkWorkspaceDeclarations(spec: PipelineSpec, all: Located[], out: ErrorList): void {
  const declared = new Set<string>();
  for (const w of spec.workspaces ?? []) {
    if (declared.has(w.name))
      out.add(
        'InvalidWorkspace',
        'spec.workspaces',
        `workspace "${w.name}" is declared more than once`,
      );
    declared.add(w.name);
  }
  for (const { pt, field, label } of all) {
    const bound = new Set<string>();
    (pt.workspaces ?? []).forEach((w, i) => {
      const target = w.workspace ?? w.name;
      if (bound.has(w.name))
        out.add(
          'InvalidWorkspace',
          `${field}.workspaces[${i}]`,
          `${label} binds workspace "${w.name}" twice`,
        );
      bound.add(w.name);
      if (!declared.has(target)) {
        out.add(
          'InvalidWorkspace',
          `${field}.workspaces[${i}]`,
          `${label} uses workspace "${target}", which the Pipeline does not declare`,
        );
      }
    });
  }
}

function checkPipelineResults(spec: PipelineSpec, out: ErrorList): void {
  const tasks = new Set(spec.tasks.map((t) => t.name));
  const fin = new Set((spec.finally ?? []).map((t) => t.name));
  (spec.results ?? []).forEach((r, i) => {
    const f = `spec.results[${i}]`;
    const refs = referencesIn(r.value);
    if (refs.length === 0) {
      out.add(
        'InvalidPipelineResult',
        f,
        `result "${r.name}" must read task results ($(tasks.<task>.results.<name>))`,
      );
    }
    for (const ref of refs) {
      const p = parseRef(ref);
      if (p.kind !== 'result') {
        out.add('InvalidPipelineResult', f, `result "${r.name}": $(${ref}) is not a task result`);
      } else if (!(p.from === 'tasks' ? tasks.has(p.task) || fin.has(p.task) : fin.has(p.task))) {
        out.add(
          'InvalidPipelineResult',
          f,
          `result "${r.name}" reads a result of "${p.task}", which is not a task of this Pipeline`,
        );
      }
    }
  });
}
