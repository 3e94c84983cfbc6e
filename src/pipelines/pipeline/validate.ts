/**
 * Validation of a Pipeline before anything runs — everything that is wrong is reported at once,
 * each a PipelineError naming the task and field:
 * - this file: the spec's shape — unique task names, `taskRef` xor `taskSpec`, `runAfter` to
 *   tasks that exist (not finally ones), no cycle (named: "a → b → c → a"), no `runAfter` in
 *   finally, `when` with values, params and workspaces declared once, matrix shape and size,
 *   pipeline results that read task results, Tekton fields Sluice does not support;
 * - validate-refs.ts: every `$(...)` a task uses;
 * - validate-run.ts: the run against the Pipeline and its Tasks (params, types, results,
 *   workspaces, timeouts).
 *
 * @example
 * validatePipeline({ spec, object: 'Pipeline/ci/build' }).map((e) => e.code); // ['Cycle']
 */
import type { PipelineSpec, PipelineTask, TaskSpec } from '../../api/pipeline.ts';
import { referencesIn } from '../subst.ts';
import { buildGraph, describeCycle } from './dag.ts';
import { ErrorList, type PipelineError } from './errors.ts';
import { countCombinations } from './matrix.ts';
import { paramTypeOf, valueTypeOf } from './params.ts';
import { parseRef } from './refs.ts';
import { checkReferences } from './validate-refs.ts';
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

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkNames(all: Located[], out: ErrorList): void {
  const seen = new Set<string>();
  for (const { pt, field, label } of all) {
    if (seen.has(pt.name)) {
      out.add('DuplicateTask', `${field}.name`, `${label} is declared more than once`);
    }
    seen.add(pt.name);
    if (!NAME.test(pt.name) || pt.name.length > 63) {
      out.add(
        'InvalidTask',
        `${field}.name`,
        `${label}: a task name must be a DNS label (a-z, 0-9, -)`,
      );
    }
  }
}

/** Tekton fields that Sluice does not run; reported rather than silently dropped. */
const UNSUPPORTED_TASK_FIELDS = ['onError', 'pipelineRef', 'pipelineSpec', 'resources'];
const UNSUPPORTED_REF_FIELDS = ['resolver', 'params', 'bundle', 'apiVersion'];

function checkShape(all: Located[], out: ErrorList): void {
  for (const { pt, field, label } of all) {
    if (!pt.taskRef === !pt.taskSpec) {
      out.add('InvalidTask', field, `${label} needs exactly one of taskRef and taskSpec`);
    }
    if (pt.taskSpec && pt.taskSpec.steps.length === 0) {
      out.add('InvalidTask', `${field}.taskSpec.steps`, `${label} has no steps`);
    }
    for (const k of Object.keys(pt).filter((k) => UNSUPPORTED_TASK_FIELDS.includes(k))) {
      out.add('Unsupported', `${field}.${k}`, `${label}: ${k} is not supported by Sluice`);
    }
    const ref = pt.taskRef ?? {};
    for (const k of Object.keys(ref).filter((k) => UNSUPPORTED_REF_FIELDS.includes(k))) {
      out.add(
        'Unsupported',
        `${field}.taskRef.${k}`,
        `${label}: taskRef.${k} is not supported (only Tasks by name in the run's namespace)`,
      );
    }
    if (pt.taskRef?.kind !== undefined && (pt.taskRef.kind as string) !== 'Task') {
      out.add(
        'Unsupported',
        `${field}.taskRef.kind`,
        `${label}: taskRef.kind ${pt.taskRef.kind} is not supported (only Task)`,
      );
    }
    (pt.when ?? []).forEach((w, i) => {
      if ('cel' in w)
        out.add('Unsupported', `${field}.when[${i}].cel`, `${label}: when.cel is not supported`);
    });
  }
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

function checkWhen(all: Located[], out: ErrorList): void {
  for (const { pt, field, label } of all) {
    (pt.when ?? []).forEach((w, i) => {
      const f = `${field}.when[${i}]`;
      if (w.values.length === 0)
        out.add('InvalidWhen', `${f}.values`, `${label}: when[${i}] has no values`);
      if (w.input.trim() === '')
        out.add('InvalidWhen', `${f}.input`, `${label}: when[${i}] has an empty input`);
      if ((w.operator as string) !== 'in' && (w.operator as string) !== 'notin') {
        out.add(
          'InvalidWhen',
          `${f}.operator`,
          `${label}: when operator must be in or notin, not "${w.operator}"`,
        );
      }
    });
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

function checkMatrix(all: Located[], out: ErrorList, max: number): void {
  for (const { pt, field, label } of all) {
    const m = pt.matrix;
    if (!m) continue;
    const names = (m.params ?? []).map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup)
      out.add(
        'InvalidMatrix',
        `${field}.matrix.params`,
        `${label}: matrix param "${dup}" is listed twice`,
      );
    const inMatrix = new Set([
      ...names,
      ...(m.include ?? []).flatMap((e) => e.params.map((p) => p.name)),
    ]);
    for (const p of pt.params ?? []) {
      if (inMatrix.has(p.name))
        out.add(
          'InvalidMatrix',
          `${field}.params[${p.name}]`,
          `${label}: param "${p.name}" is in both params and matrix`,
        );
    }
    const n = countCombinations(m.params ?? [], m.include ?? []);
    if (n > max)
      out.add(
        'InvalidMatrix',
        `${field}.matrix`,
        `${label}: the matrix fans out to ${n} combinations, more than ${max}`,
      );
    if (names.length === 0 && (m.include ?? []).length === 0) {
      out.add(
        'InvalidMatrix',
        `${field}.matrix`,
        `${label}: the matrix has neither params nor include`,
      );
    }
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
