/**
 * The DAG of a Pipeline's `tasks`: a task runs after the tasks in its `runAfter` and after every
 * task whose results it reads (`$(tasks.build.results.digest)` in params, when, matrix or inline
 * steps). `finally` tasks are not in it: they run once the whole DAG is done.
 *
 * @example
 * const g = buildGraph([{name: 'a', ...}, {name: 'b', runAfter: ['a'], ...}]);
 * g.parents.get('b'); // ['a']
 * g.order; // ['a', 'b']
 */
import type { PipelineTask } from '../../api/pipeline.ts';
import { resultDependencies } from './refs.ts';

export interface Graph {
  /** Task names in spec order. */
  names: string[];
  /** For each task, the tasks it waits for (runAfter first, then result readers), no duplicates. */
  parents: Map<string, string[]>;
  /** A topological order, stable: ties keep spec order. Empty when there is a cycle. */
  order: string[];
  /** The first cycle found, as a closed path `['a', 'b', 'a']`; undefined when there is none. */
  cycle: string[] | undefined;
}

/** The direct dependencies of one task (only those that name tasks of `known`, if given). */
export function dependencies(pt: PipelineTask, known?: ReadonlySet<string>): string[] {
  const deps = [...new Set([...(pt.runAfter ?? []), ...resultDependencies(pt)])];
  return known ? deps.filter((d) => known.has(d)) : deps;
}

/** Builds the graph of `tasks`; edges to names outside `tasks` are dropped (validation reports them). */
export function buildGraph(tasks: readonly PipelineTask[]): Graph {
  const names = tasks.map((t) => t.name);
  const known = new Set(names);
  const parents = new Map(tasks.map((t) => [t.name, dependencies(t, known)]));
  const cycle = findCycle(names, parents);
  return { names, parents, order: cycle ? [] : topoOrder(names, parents), cycle };
}

function topoOrder(names: string[], parents: Map<string, string[]>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find(
      (n) => !done.has(n) && (parents.get(n) ?? []).every((p) => done.has(p)),
    );
    if (next === undefined) break;
    done.add(next);
    order.push(next);
  }
  return order;
}

/** Depth-first search for a back edge; returns the loop as a path that ends where it started. */
function findCycle(names: string[], parents: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'closed'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const p of parents.get(n) ?? []) {
      if (state.get(p) === 'open') {
        // n waits for p, and p (through the stack) waits for n: the loop p ... n p
        const loop = stack.slice(stack.indexOf(p));
        return [...loop, p];
      }
      if (!state.has(p)) {
        const c = visit(p);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'closed');
    return undefined;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** A cycle as people read it: `a → b → c → a` (each task runs after the one before it). */
export function describeCycle(cycle: readonly string[]): string {
  return [...cycle].reverse().join(' → ');
}

/** The roots: tasks that wait for nothing, in spec order. */
export function roots(g: Graph): string[] {
  return g.names.filter((n) => (g.parents.get(n) ?? []).length === 0);
}

/** Tasks not yet begun whose parents are all in `done` (the candidates to run next). */
export function readyTasks(
  g: Graph,
  done: ReadonlySet<string>,
  begun: ReadonlySet<string>,
): string[] {
  return g.order.filter(
    (n) => !begun.has(n) && !done.has(n) && (g.parents.get(n) ?? []).every((p) => done.has(p)),
  );
}
