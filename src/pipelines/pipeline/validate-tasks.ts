/**
 * Validation of each pipeline task against its Task's spec: every param the Task requires is
 * passed (by params or the matrix), with the Task's type (a matrix passes strings; a whole
 * `$(params.list)` or `$(tasks.t.results.list[*])` is an array); workspaces bound are ones the
 * Task declares, and the ones it needs are bound (an inline spec may get the Pipeline's
 * workspace of the same name); results read from a task are declared by its Task (a matrixed
 * task passes on string results only, as arrays).
 */
import type {
  ParamSpec,
  ParamType,
  ParamValue,
  PipelineSpec,
  ResultSpec,
  TaskSpec,
} from '../../api/pipeline.ts';
import { canonical, referencesIn } from '../subst.ts';
import type { ErrorList } from './errors.ts';
import { article, paramTypeOf, valueTypeOf } from './params.ts';
import { inlineResultRefs, parseRef, taskReferences, type Ref } from './refs.ts';
import type { Located } from './validate.ts';

export interface TaskCtx {
  spec: PipelineSpec;
  params: Map<string, ParamSpec>;
  tasks: Map<string, { at: Located; task: TaskSpec | undefined }>;
  out: ErrorList;
}

/** The type a PipelineTask param value has once substituted; undefined when it cannot be known. */
function inferType(ctx: TaskCtx, v: ParamValue): ParamType | undefined {
  if (typeof v !== 'string') return valueTypeOf(v);
  const m = /^\$\(([^()]+)\)$/.exec(v.trim());
  if (!m) return 'string';
  const r = parseRef(canonical(m[1]!), new Set(ctx.params.keys()));
  if (r.kind === 'param')
    return picked(r, ctx.params.get(r.name) && paramTypeOf(ctx.params.get(r.name)!));
  if (r.kind !== 'result') return 'string';
  if (ctx.tasks.get(r.task)?.at.pt.matrix) return r.star ? 'array' : undefined;
  const res = resultSpec(ctx, r.task, r.result);
  return picked(r, res && (res.type ?? 'string'));
}

/** One item or key of a value is a string; the whole value keeps its type. */
function picked(
  r: { key?: string; index?: number },
  whole: ParamType | undefined,
): ParamType | undefined {
  if (whole === undefined) return undefined;
  return r.key !== undefined || r.index !== undefined ? 'string' : whole;
}

function resultSpec(ctx: TaskCtx, task: string, result: string): ResultSpec | undefined {
  return ctx.tasks.get(task)?.task?.results?.find((x) => x.name === result);
}

function matrixNames(at: Located): string[] {
  const m = at.pt.matrix;
  return [
    ...(m?.params ?? []).map((p) => p.name),
    ...(m?.include ?? []).flatMap((e) => e.params.map((p) => p.name)),
  ];
}

export function checkTaskParams(ctx: TaskCtx, at: Located, task: TaskSpec): void {
  const declared = new Map((task.params ?? []).map((p) => [p.name, paramTypeOf(p)]));
  const fromMatrix = new Set(matrixNames(at));
  const given = new Set([...(at.pt.params ?? []).map((p) => p.name), ...fromMatrix]);
  for (const p of task.params ?? []) {
    if (p.default !== undefined || given.has(p.name)) continue;
    const msg = `${at.label}: its Task needs param "${p.name}", which is not passed`;
    ctx.out.add('MissingParam', `${at.field}.params`, msg);
  }
  for (const p of at.pt.params ?? []) {
    const want = declared.get(p.name);
    const got = inferType(ctx, p.value);
    if (!want || !got || got === want) continue;
    const msg = `${at.label}: param "${p.name}" is ${article(want)} in its Task but gets ${article(got)}`;
    ctx.out.add('TypeMismatch', `${at.field}.params[${p.name}]`, msg);
  }
  for (const name of fromMatrix) {
    const want = declared.get(name);
    if (!want || want === 'string') continue;
    const msg = `${at.label}: matrix param "${name}" fans out strings but the Task declares ${article(want)}`;
    ctx.out.add('TypeMismatch', `${at.field}.matrix`, msg);
  }
}

export function checkTaskWorkspaces(ctx: TaskCtx, at: Located, task: TaskSpec): void {
  const declared = new Map((task.workspaces ?? []).map((w) => [w.name, w]));
  const pipelineWs = new Map((ctx.spec.workspaces ?? []).map((w) => [w.name, w]));
  const field = `${at.field}.workspaces`;
  for (const b of at.pt.workspaces ?? []) {
    const tw = declared.get(b.name);
    const target = b.workspace ?? b.name;
    if (!tw) {
      const msg = `${at.label} binds workspace "${b.name}", which its Task does not declare`;
      ctx.out.add('InvalidWorkspace', field, msg);
    } else if (pipelineWs.get(target)?.optional && !tw.optional) {
      const msg = `${at.label}: optional Pipeline workspace "${target}" is bound to "${b.name}", which its Task requires`;
      ctx.out.add('InvalidWorkspace', field, msg);
    }
  }
  checkNeededWorkspaces(ctx, at, task, new Set(pipelineWs.keys()));
}

function checkNeededWorkspaces(
  ctx: TaskCtx,
  at: Located,
  task: TaskSpec,
  pipelineWs: Set<string>,
): void {
  const bound = new Set((at.pt.workspaces ?? []).map((b) => b.name));
  for (const w of task.workspaces ?? []) {
    const propagated = at.pt.taskSpec !== undefined && pipelineWs.has(w.name);
    if (w.optional || bound.has(w.name) || propagated) continue;
    const msg = `${at.label}: its Task needs workspace "${w.name}", which is not bound`;
    ctx.out.add('InvalidWorkspace', `${at.field}.workspaces`, msg);
  }
}

interface Use {
  ref: string;
  field: string;
  who: string;
}

function resultUses(ctx: TaskCtx, all: Located[]): Use[] {
  const uses: Use[] = all.flatMap((at) => [
    ...taskReferences(at.pt).map((f) => ({
      ref: f.ref,
      field: `${at.field}.${f.field}`,
      who: at.label,
    })),
    ...inlineResultRefs(at.pt).map((ref) => ({
      ref,
      field: `${at.field}.taskSpec`,
      who: at.label,
    })),
  ]);
  (ctx.spec.results ?? []).forEach((r, i) => {
    for (const ref of referencesIn(r.value)) {
      uses.push({ ref, field: `spec.results[${i}]`, who: `pipeline result "${r.name}"` });
    }
  });
  return uses;
}

export function checkResultRefs(ctx: TaskCtx, all: Located[]): void {
  for (const u of resultUses(ctx, all)) {
    const r = parseRef(u.ref);
    if (r.kind === 'result' && ctx.tasks.get(r.task)?.task) checkResult(ctx, u, r);
  }
}

function checkResult(ctx: TaskCtx, u: Use, r: Ref & { kind: 'result' }): void {
  const res = resultSpec(ctx, r.task, r.result);
  const code = u.field.startsWith('spec.results') ? 'InvalidPipelineResult' : 'UnknownResult';
  const type = res?.type ?? 'string';
  if (!res) {
    const msg = `${u.who} reads result "${r.result}" of "${r.task}", which its Task does not declare`;
    ctx.out.add(code, u.field, msg);
  } else if (ctx.tasks.get(r.task)?.at.pt.matrix && type !== 'string') {
    const msg = `${u.who}: matrixed "${r.task}" can only pass on string results, "${r.result}" is ${article(type)}`;
    ctx.out.add('InvalidMatrix', u.field, msg);
  } else if (r.key !== undefined && res.properties && !(r.key in res.properties)) {
    const msg = `${u.who} reads key "${r.key}" of result "${r.result}" of "${r.task}", which it does not declare`;
    ctx.out.add(code, u.field, msg);
  }
}
