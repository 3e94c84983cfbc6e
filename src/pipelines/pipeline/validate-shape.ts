/**
 * Validation of each pipeline task's own shape: a DNS-label name, exactly one of `taskRef` and
 * `taskSpec`, steps in an inline spec, `when` expressions with an input, an operator (in, notin)
 * and values, a matrix with params or include, no param both in params and matrix, at most
 * `maxMatrixCombinations` combinations, `onError` (continue | stopAndFail; continue without
 * retries) — and the Tekton fields Sluice does not run ( * Pipelines in Pipelines, resolvers, `when.cel`, ClusterTask), reported instead of dropped.
 */
import type { ErrorList } from './errors.ts';
import { countCombinations } from './matrix.ts';
import type { Located } from './validate.ts';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkNames(all: Located[], out: ErrorList): void {
  const seen = new Set<string>();
  for (const { pt, field, label } of all) {
    if (seen.has(pt.name)) {
      out.add('DuplicateTask', `${field}.name`, `${label} is declared more than once`);
    }
    seen.add(pt.name);
    if (!NAME.test(pt.name) || pt.name.length > 63) {
      const msg = `${label}: a task name must be a DNS label (a-z, 0-9, -)`;
      out.add('InvalidTask', `${field}.name`, msg);
    }
  }
}

/** Tekton fields that Sluice does not run; reported rather than silently dropped. */
const UNSUPPORTED_TASK_FIELDS = ['pipelineRef', 'pipelineSpec', 'resources'];
const UNSUPPORTED_REF_FIELDS = ['resolver', 'params', 'bundle', 'apiVersion'];

export function checkShape(all: Located[], out: ErrorList): void {
  for (const at of all) {
    const { pt, field, label } = at;
    if (!pt.taskRef === !pt.taskSpec) {
      out.add('InvalidTask', field, `${label} needs exactly one of taskRef and taskSpec`);
    }
    if (pt.taskSpec && pt.taskSpec.steps.length === 0) {
      out.add('InvalidTask', `${field}.taskSpec.steps`, `${label} has no steps`);
    }
    const onError = pt.onError as string | undefined;
    if (onError !== undefined && onError !== 'continue' && onError !== 'stopAndFail') {
      out.add(
        'InvalidTask',
        `${field}.onError`,
        `${label}: onError must be continue or stopAndFail, not "${onError}"`,
      );
    } else if (onError === 'continue' && (pt.retries ?? 0) > 0) {
      out.add(
        'InvalidTask',
        `${field}.onError`,
        `${label}: onError: continue cannot be combined with retries`,
      );
    }
    checkUnsupported(at, out);
  }
}

function checkUnsupported({ pt, field, label }: Located, out: ErrorList): void {
  for (const k of Object.keys(pt).filter((k) => UNSUPPORTED_TASK_FIELDS.includes(k))) {
    out.add('Unsupported', `${field}.${k}`, `${label}: ${k} is not supported by Sluice`);
  }
  const ref = pt.taskRef ?? {};
  for (const k of Object.keys(ref).filter((k) => UNSUPPORTED_REF_FIELDS.includes(k))) {
    const msg = `${label}: taskRef.${k} is not supported (only Tasks by name in the run's namespace)`;
    out.add('Unsupported', `${field}.taskRef.${k}`, msg);
  }
  if (pt.taskRef?.kind !== undefined && (pt.taskRef.kind as string) !== 'Task') {
    const msg = `${label}: taskRef.kind ${pt.taskRef.kind} is not supported (only Task)`;
    out.add('Unsupported', `${field}.taskRef.kind`, msg);
  }
  (pt.when ?? []).forEach((w, i) => {
    if ('cel' in w) {
      out.add('Unsupported', `${field}.when[${i}].cel`, `${label}: when.cel is not supported`);
    }
  });
}

export function checkWhen(all: Located[], out: ErrorList): void {
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

export function checkMatrix(all: Located[], out: ErrorList, max: number): void {
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
