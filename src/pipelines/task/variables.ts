/**
 * What a Task's `$(...)` references mean inside one run: the lookup handed to subst.ts.
 *
 * - `$(params.x)`, `$(params.x[*])` (a whole array), `$(params.x[0])`, `$(params.obj.key)`,
 *   `$(params["dotted.name"])`
 * - `$(results.name.path)`: the file a step writes the result to (`<resultsDir>/name`)
 * - `$(workspaces.w.path)`, `.bound` (`true`/`false`), `.claim` (the PVC's name or ''),
 *   `.volume` (the pod volume's name)
 * - `$(context.taskRun.name|namespace|uid)`, `$(context.task.name)`,
 *   `$(context.task.retry-count)`
 *
 * Any other `$(...)` (a shell's `$(date)`) is left alone; a reference under `params.`,
 * `results.`, `workspaces.`, `context.taskRun.` or `context.task.` that names nothing is an error
 * (`checkReferences`), as Tekton's validation makes it.
 */
import type { ParamValue } from '../../api/pipeline.ts';
import type { Lookup } from '../subst.ts';
import { referencesIn } from '../subst.ts';
import { TaskError } from './errors.ts';

/** Who is running the Task: the values of `$(context.*)`. */
export interface TaskContext {
  taskRunName: string;
  namespace: string;
  uid: string;
  /** The Task's name (an inline taskSpec: the TaskRun's name, as Tekton). */
  taskName: string;
  /** Attempts before this one (`spec.retries`). */
  retryCount?: number;
}

/** A workspace as the steps see it. */
export interface WorkspaceView {
  name: string;
  /** '' for an optional workspace that is not bound. */
  path: string;
  bound: boolean;
  claim: string;
  volumeName: string;
}

export interface VariableScope {
  params: ReadonlyMap<string, ParamValue>;
  results: readonly string[];
  resultsDir: string;
  workspaces: readonly WorkspaceView[];
  context: TaskContext;
}

/** `name[*]` → whole value; `name[3]` → one item; `name.key` → an object's key. */
function paramLookup(
  params: ReadonlyMap<string, ParamValue>,
  rest: string,
): ParamValue | undefined {
  const direct = params.get(rest);
  if (direct !== undefined) return direct;
  const star = /^(.+)\[\*\]$/.exec(rest);
  if (star) return params.get(star[1]!);
  const index = /^(.+)\[(\d+)\]$/.exec(rest);
  if (index) {
    const v = params.get(index[1]!);
    return Array.isArray(v) ? v[Number(index[2])] : undefined;
  }
  for (const [name, v] of params) {
    if (!rest.startsWith(`${name}.`) || typeof v !== 'object' || Array.isArray(v)) continue;
    const key = rest.slice(name.length + 1);
    if (key in v) return v[key];
  }
  return undefined;
}

function workspaceLookup(ws: readonly WorkspaceView[], rest: string): string | undefined {
  const dot = rest.lastIndexOf('.');
  const w = ws.find((x) => x.name === rest.slice(0, dot));
  if (!w) return undefined;
  const field = rest.slice(dot + 1);
  if (field === 'path') return w.path;
  if (field === 'bound') return String(w.bound);
  if (field === 'claim') return w.claim;
  if (field === 'volume') return w.volumeName;
  return undefined;
}

function contextLookup(c: TaskContext, rest: string): string | undefined {
  const values: Record<string, string> = {
    'taskRun.name': c.taskRunName,
    'taskRun.namespace': c.namespace,
    'taskRun.uid': c.uid,
    'task.name': c.taskName,
    'task.retry-count': String(c.retryCount ?? 0),
  };
  return values[rest];
}

export function lookupIn(scope: VariableScope): Lookup {
  return (ref) => {
    if (ref.startsWith('params.')) return paramLookup(scope.params, ref.slice(7));
    if (ref.startsWith('results.') && ref.endsWith('.path')) {
      const name = ref.slice(8, -5);
      return scope.results.includes(name) ? `${scope.resultsDir}/${name}` : undefined;
    }
    if (ref.startsWith('workspaces.')) return workspaceLookup(scope.workspaces, ref.slice(11));
    if (ref.startsWith('context.')) return contextLookup(scope.context, ref.slice(8));
    return undefined;
  };
}

const POLICED = ['params.', 'results.', 'workspaces.', 'context.taskRun.', 'context.task.'];

function explain(ref: string): string {
  if (ref.startsWith('params.')) return 'the Task declares no such param (or key)';
  if (ref.startsWith('results.'))
    return 'the Task declares no such result (use $(results.<name>.path))';
  if (ref.startsWith('workspaces.'))
    return 'the Task declares no such workspace (use .path, .bound, .claim or .volume)';
  return 'no such context variable';
}

/**
 * Every reference in `value` that the Task's variables should resolve but do not: a TaskError
 * naming the first one and where it is (`where`: `step "build"`, `volume "cache"`).
 */
export function checkReferences(value: unknown, lookup: Lookup, where: { step?: string }): void {
  for (const ref of referencesIn(value)) {
    if (!POLICED.some((p) => ref.startsWith(p)) || lookup(ref) !== undefined) continue;
    const at = where.step ? ` in step "${where.step}"` : '';
    throw new TaskError('UnknownReference', `$(${ref})${at} does not resolve: ${explain(ref)}`, {
      reference: ref,
      ...(where.step ? { step: where.step } : {}),
    });
  }
}
