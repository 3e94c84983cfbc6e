/**
 * What a reference resolves to while the run is under way: params, context variables, the
 * results of finished tasks (a matrixed task's string results as arrays, in combination order),
 * execution statuses for `finally` (`$(tasks.build.status)`: Succeeded | Failed | None;
 * `$(tasks.status)`: Succeeded | Failed | Completed | None), `$(workspaces.w.bound)` and
 * `$(tasks.t.matrix.length)`. One Lookup for subst.ts per pipeline task.
 */
import type { ParamValue } from '../../api/pipeline.ts';
import type { Lookup } from '../subst.ts';
import { pick, readParam } from './params.ts';
import { parseRef, type Ref } from './refs.ts';

export interface TaskFacts {
  /** Results of a finished task (succeeded or failed), by name. */
  results: ReadonlyMap<string, ParamValue>;
  /** `Succeeded`, `Failed` or `None` (skipped, not run). */
  status: 'Succeeded' | 'Failed' | 'None';
  reason: string;
  /** For matrixed tasks: how many combinations, and how many children gave each result. */
  matrixLength?: number;
}

export interface Scope {
  params: ReadonlyMap<string, ParamValue>;
  declared: ReadonlySet<string>;
  context: Readonly<Record<string, string>>;
  tasks: ReadonlyMap<string, TaskFacts>;
  /** `$(tasks.status)`, only for finally tasks (undefined elsewhere). */
  aggregateStatus?: 'Succeeded' | 'Failed' | 'Completed' | 'None';
  workspacesBound: ReadonlyMap<string, boolean>;
}

function resolveRef(scope: Scope, r: Ref, text: string): ParamValue | undefined {
  switch (r.kind) {
    case 'param':
      return readParam(scope.params, scope.declared, text);
    case 'context':
      return scope.context[r.variable];
    case 'workspaceBound': {
      const b = scope.workspacesBound.get(r.workspace);
      return b === undefined ? undefined : String(b);
    }
    case 'other':
      return undefined;
    default:
      return fromTasks(scope, r);
  }
}

/** What a reference to another task gives: a result, its status (finally only), a matrix length. */
function fromTasks(scope: Scope, r: Ref): ParamValue | undefined {
  switch (r.kind) {
    case 'result':
      return pick(scope.tasks.get(r.task)?.results.get(r.result), r);
    case 'taskStatus':
    case 'taskReason': {
      // only finally tasks have an aggregate status; other tasks cannot read statuses
      const t = scope.aggregateStatus ? scope.tasks.get(r.task) : undefined;
      return r.kind === 'taskStatus' ? t?.status : t?.reason;
    }
    case 'tasksStatus':
      return scope.aggregateStatus;
    case 'matrixLength':
      return matrixLength(scope.tasks.get(r.task), r.result);
    default:
      return undefined;
  }
}

/** `$(tasks.t.matrix.length)` and `$(tasks.t.matrix.r.length)`. */
function matrixLength(t: TaskFacts | undefined, result: string | undefined): string | undefined {
  if (t?.matrixLength === undefined) return undefined;
  if (result === undefined) return String(t.matrixLength);
  const v = t.results.get(result);
  return String(Array.isArray(v) ? v.length : 0);
}

/** A Lookup over `scope`; references it does not know resolve to undefined. */
export function lookupIn(scope: Scope): Lookup {
  return (ref) => resolveRef(scope, parseRef(ref, scope.declared), ref);
}

/** The references that read a task's results (used to tell "missing result" apart). */
export function isResultRef(ref: string): boolean {
  return parseRef(ref).kind === 'result';
}
