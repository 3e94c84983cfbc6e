/**
 * Validation of every `$(...)` a PipelineTask uses (params, matrix, when, workspace subPath,
 * displayName, and result references in inline steps), as Tekton's admission checks:
 * - `$(params.x)`: x is declared; `[*]`/`[i]` only on arrays, `.key` only on objects (and a
 *   declared key); an array or object used whole, never inside a longer string;
 * - `$(tasks.t.results.r)`: t is a task of the DAG (never the task itself; finally tasks only
 *   read DAG tasks); a matrixed t is read whole, `$(tasks.t.results.r[*])`;
 * - `$(tasks.t.status)`, `$(tasks.t.reason)`, `$(tasks.status)`: in finally tasks only;
 * - `$(context.*)`: pipelineRun.name|namespace|uid, pipeline.name, pipelineTask.retries;
 * - `$(workspaces.w.bound)`: w is declared.
 */
import type { ParamSpec, PipelineSpec } from '../../api/pipeline.ts';
import type { ErrorList } from './errors.ts';
import { article, paramTypeOf } from './params.ts';
import {
  CONTEXT_VARIABLES,
  inlineResultRefs,
  parseRef,
  taskReferences,
  type FoundRef,
  type Ref,
} from './refs.ts';
import type { Located } from './validate.ts';

const PREFIXES = new Set(['params', 'tasks', 'finally', 'context', 'workspaces', 'results']);

interface Ctx {
  spec: PipelineSpec;
  params: Map<string, ParamSpec>;
  dag: Set<string>;
  fin: Set<string>;
  matrixed: Set<string>;
  workspaces: Set<string>;
  out: ErrorList;
}

export function checkReferences(spec: PipelineSpec, all: Located[], out: ErrorList): void {
  const ctx: Ctx = {
    spec,
    params: new Map((spec.params ?? []).map((p) => [p.name, p])),
    dag: new Set(spec.tasks.map((t) => t.name)),
    fin: new Set((spec.finally ?? []).map((t) => t.name)),
    matrixed: new Set(all.filter((l) => l.pt.matrix).map((l) => l.pt.name)),
    workspaces: new Set((spec.workspaces ?? []).map((w) => w.name)),
    out,
  };
  for (const at of all) {
    const inline = inlineResultRefs(at.pt).map((ref) => ({
      ref,
      field: 'taskSpec.steps',
      whole: false,
    }));
    for (const f of [...taskReferences(at.pt), ...inline]) checkOne(ctx, at, f);
  }
}

function checkOne(ctx: Ctx, at: Located, f: FoundRef): void {
  const where = `${at.field}.${f.field}`;
  const inline = f.field === 'taskSpec.steps';
  const head = f.ref.split('.')[0] ?? '';
  if (!PREFIXES.has(head)) {
    const hint = 'if you meant a shell variable, write ${VAR} instead';
    const msg = `${at.label}: $(${f.ref}) is not a Pipeline variable (params, tasks, context, workspaces)`;
    if (!inline) ctx.out.add('InvalidReference', where, msg, hint);
    return;
  }
  const r = parseRef(f.ref, new Set(ctx.params.keys()));
  switch (r.kind) {
    case 'param':
      return checkParam(ctx, at, f, where, r);
    case 'result':
      return checkResult(ctx, at, f, where, r);
    case 'taskStatus':
    case 'taskReason':
    case 'tasksStatus':
      return checkStatus(ctx, at, f, where, r);
    default:
      if (!inline) checkOther(ctx, at, f, where, r);
  }
}

/** Context variables, `$(workspaces.w.bound)`, matrix lengths, and anything else. */
function checkOther(ctx: Ctx, at: Located, f: FoundRef, where: string, r: Ref): void {
  const add = (code: 'InvalidReference' | 'InvalidWorkspace', what: string) =>
    ctx.out.add(code, where, `${at.label}: $(${f.ref}) ${what}`);
  if (r.kind === 'context' && !(CONTEXT_VARIABLES as readonly string[]).includes(r.variable)) {
    add('InvalidReference', `is not a context variable (${CONTEXT_VARIABLES.join(', ')})`);
  } else if (r.kind === 'workspaceBound' && !ctx.workspaces.has(r.workspace)) {
    add('InvalidWorkspace', 'names a workspace the Pipeline does not declare');
  } else if (r.kind === 'matrixLength' && !ctx.matrixed.has(r.task)) {
    add('InvalidReference', `refers to "${r.task}", which is not a matrixed task`);
  } else if (r.kind === 'other') {
    add('InvalidReference', 'is not a Pipeline variable');
  }
}

function checkParam(
  ctx: Ctx,
  at: Located,
  f: FoundRef,
  where: string,
  r: Ref & { kind: 'param' },
): void {
  const spec = ctx.params.get(r.name);
  if (!spec) {
    ctx.out.add(
      'UnknownParam',
      where,
      `${at.label}: $(${f.ref}) refers to param "${r.name}", which the Pipeline does not declare`,
    );
    return;
  }
  const type = paramTypeOf(spec);
  const bad = (what: string) =>
    ctx.out.add(
      'TypeMismatch',
      where,
      `${at.label}: $(${f.ref}): param "${r.name}" is ${article(type)}, ${what}`,
    );
  if (r.key !== undefined) {
    if (type !== 'object') return bad('it has no keys');
    const keys = spec.properties ? Object.keys(spec.properties) : undefined;
    if (keys && !keys.includes(r.key)) {
      ctx.out.add(
        'UnknownParam',
        where,
        `${at.label}: $(${f.ref}): object param "${r.name}" has no key "${r.key}" (${keys.join(', ')})`,
      );
    }
    return;
  }
  if (r.index !== undefined) {
    if (type !== 'array') bad('it has no items');
    return;
  }
  if (r.star && type === 'string') return bad('[*] needs an array or an object');
  const whole = f.whole && !f.field.endsWith('.input');
  if (type !== 'string' && !whole)
    bad('so it can only be used as a whole value or element, or one item');
}

function checkResult(
  ctx: Ctx,
  at: Located,
  f: FoundRef,
  where: string,
  r: Ref & { kind: 'result' },
): void {
  const label = at.label;
  if (r.from === 'finally') {
    ctx.out.add(
      'InvalidReference',
      where,
      `${label}: $(${f.ref}): finally results can only be read by pipeline results`,
    );
  } else if (r.task === at.pt.name) {
    ctx.out.add('Cycle', where, `${label} reads its own result $(${f.ref})`);
  } else if (ctx.fin.has(r.task)) {
    const who = at.finally
      ? 'finally tasks cannot read other finally tasks’ results'
      : 'tasks cannot read finally tasks’ results';
    ctx.out.add('InvalidFinally', where, `${label}: $(${f.ref}): ${who}`);
  } else if (!ctx.dag.has(r.task)) {
    ctx.out.add(
      'MissingTask',
      where,
      `${label} reads a result of "${r.task}", which is not a task of this Pipeline`,
    );
  } else if (ctx.matrixed.has(r.task) && !r.star) {
    ctx.out.add(
      'InvalidMatrix',
      where,
      `${label}: $(${f.ref}): "${r.task}" is matrixed, so its results are arrays, read whole with [*]`,
    );
  }
}

function checkStatus(ctx: Ctx, at: Located, f: FoundRef, where: string, r: Ref): void {
  if (!at.finally) {
    ctx.out.add(
      'InvalidStatusReference',
      where,
      `${at.label}: $(${f.ref}) is only available to finally tasks`,
    );
    return;
  }
  if ((r.kind === 'taskStatus' || r.kind === 'taskReason') && !ctx.dag.has(r.task)) {
    ctx.out.add(
      'MissingTask',
      where,
      `${at.label}: $(${f.ref}) names "${r.task}", which is not a task of this Pipeline`,
    );
  }
}
