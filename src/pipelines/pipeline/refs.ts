/**
 * What a `$(...)` reference inside a Pipeline means: a param, another task's result, a task's
 * execution status (finally only), a context variable, a workspace's `bound`, a matrix length —
 * parsed from subst.ts's canonical text into a typed Ref, and every reference a PipelineTask holds
 * (params, matrix, when, workspace subPath, displayName, inline steps) listed with its field.
 *
 * @example
 * parseRef('tasks.build.results.digest'); // {kind: 'result', task: 'build', result: 'digest'}
 * parseRef('params.flags[*]'); // {kind: 'param', name: 'flags', star: true}
 */
import type { PipelineTask } from '../../api/pipeline.ts';
import { references, referencesIn } from '../subst.ts';

/** How a reference picks from a value: all of it (`[*]`), one item (`[1]`) or one key (`.k`). */
interface Pick {
  star?: boolean;
  index?: number;
  key?: string;
}

export type Ref =
  | ({ kind: 'param'; name: string; path: string } & Pick)
  | ({ kind: 'result'; task: string; result: string; from: 'tasks' | 'finally' } & Pick)
  | { kind: 'taskStatus'; task: string }
  | { kind: 'taskReason'; task: string }
  | { kind: 'tasksStatus' }
  | { kind: 'context'; variable: string }
  | { kind: 'workspaceBound'; workspace: string }
  | { kind: 'matrixLength'; task: string; result?: string }
  | { kind: 'other'; text: string };

/** The context variables a Pipeline can read (Tekton's). */
export const CONTEXT_VARIABLES = [
  'pipelineRun.name',
  'pipelineRun.namespace',
  'pipelineRun.uid',
  'pipeline.name',
  'pipelineTask.retries',
] as const;

function splitPick(text: string): { base: string } & Pick {
  const m = /^(.*)\[(\*|\d+)\]$/.exec(text);
  if (!m) return { base: text };
  const base = m[1] ?? '';
  return m[2] === '*' ? { base, star: true } : { base, index: Number(m[2]) };
}

/** `tasks.status`, `tasks.<t>.status`, `tasks.<t>.reason` (finally's execution status). */
function statusRef(task: string, part: string | undefined, tail: string[]): Ref | undefined {
  if (tail.length > 0) return undefined;
  if (part === undefined && task === 'status') return { kind: 'tasksStatus' };
  if (part === 'status') return { kind: 'taskStatus', task };
  if (part === 'reason') return { kind: 'taskReason', task };
  return undefined;
}

function resultRef(task: string, tail: string[], from: 'tasks' | 'finally'): Ref {
  const { base, ...pick } = splitPick(tail.join('.'));
  const [result = '', ...key] = base.split('.');
  return {
    kind: 'result',
    task,
    result,
    from,
    ...pick,
    ...(key.length > 0 ? { key: key.join('.') } : {}),
  };
}

function taskRef(rest: string, from: 'tasks' | 'finally'): Ref {
  const [task = '', part, ...tail] = rest.split('.');
  const status = from === 'tasks' ? statusRef(task, part, tail) : undefined;
  if (status) return status;
  if (part === 'matrix' && tail.at(-1) === 'length') {
    const result = tail.slice(0, -1).join('.');
    return result ? { kind: 'matrixLength', task, result } : { kind: 'matrixLength', task };
  }
  if (part !== 'results' || tail.length === 0) return { kind: 'other', text: `${from}.${rest}` };
  return resultRef(task, tail, from);
}

/**
 * The meaning of one canonical reference. `params.a.b` is the param `a.b` when `declared` has it
 * (bracket form `$(params["a.b"])`), else key `b` of object param `a`.
 */
export function parseRef(ref: string, declared?: ReadonlySet<string>): Ref {
  const dot = ref.indexOf('.');
  const head = dot < 0 ? ref : ref.slice(0, dot);
  const rest = dot < 0 ? '' : ref.slice(dot + 1);
  switch (head) {
    case 'params': {
      const { base, ...pick } = splitPick(rest);
      if (declared?.has(base) || !base.includes('.')) {
        return { kind: 'param', name: base, path: base, ...pick };
      }
      const i = base.indexOf('.');
      return { kind: 'param', name: base.slice(0, i), path: base, key: base.slice(i + 1), ...pick };
    }
    case 'tasks':
    case 'finally':
      return taskRef(rest, head);
    case 'context':
      return { kind: 'context', variable: rest };
    case 'workspaces': {
      const m = /^(.+)\.bound$/.exec(rest);
      return m ? { kind: 'workspaceBound', workspace: m[1]! } : { kind: 'other', text: ref };
    }
    default:
      return { kind: 'other', text: ref };
  }
}

/** A reference found in a PipelineTask, with the field it sits in. */
export interface FoundRef {
  ref: string;
  field: string;
  /** The whole field is this one reference (so it may stand for an array or an object). */
  whole: boolean;
}

function found(field: string, value: unknown): FoundRef[] {
  const whole = typeof value === 'string' && /^\$\([^()]+\)$/.test(value.trim());
  return referencesIn(value).map((ref) => ({ ref, field, whole }));
}

/** Every reference a PipelineTask makes outside its task spec, in field order. */
export function taskReferences(pt: PipelineTask): FoundRef[] {
  const out: FoundRef[] = [];
  for (const p of pt.params ?? []) {
    const items: unknown[] = Array.isArray(p.value) ? p.value : [p.value];
    for (const v of items) out.push(...found(`params[${p.name}]`, v));
  }
  for (const p of pt.matrix?.params ?? []) {
    for (const v of p.value) out.push(...found(`matrix.params[${p.name}]`, v));
  }
  (pt.matrix?.include ?? []).forEach((inc, i) => {
    for (const p of inc.params)
      out.push(...found(`matrix.include[${i}].params[${p.name}]`, p.value));
  });
  (pt.when ?? []).forEach((w, i) => {
    out.push(...found(`when[${i}].input`, w.input));
    for (const v of w.values) out.push(...found(`when[${i}].values`, v));
  });
  (pt.workspaces ?? []).forEach((w, i) => {
    if (w.subPath) out.push(...found(`workspaces[${i}].subPath`, w.subPath));
  });
  if (pt.displayName) out.push(...found('displayName', pt.displayName));
  return out;
}

/** Result references in an inline task spec's steps and sidecars (they imply order, as Tekton). */
export function inlineResultRefs(pt: PipelineTask): string[] {
  if (!pt.taskSpec) return [];
  const { steps, sidecars } = pt.taskSpec;
  return referencesIn([steps, sidecars ?? []]).filter((r) => r.startsWith('tasks.'));
}

/** The tasks whose results `pt` reads (params, when, matrix, inline steps): implied order. */
export function resultDependencies(pt: PipelineTask): string[] {
  const refs = [...taskReferences(pt).map((f) => f.ref), ...inlineResultRefs(pt)];
  const deps = new Set<string>();
  for (const r of refs) {
    const parsed = parseRef(r);
    if (parsed.kind === 'result' && parsed.from === 'tasks') deps.add(parsed.task);
  }
  return [...deps];
}

/** Convenience for tests and callers that hold plain text. */
export function parseAll(text: string): Ref[] {
  return references(text).map((r) => parseRef(r));
}
