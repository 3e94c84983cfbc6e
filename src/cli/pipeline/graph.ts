/**
 * A Pipeline's task graph as a tree people read top to bottom: tasks that wait for nothing at
 * the left, each other task under the one of its parents that finishes last (the parent in the
 * deepest layer; a tie goes to the later one in topological order), its other parents named
 * beside it (`also after lint`). A task is drawn once, so a diamond reads as
 *
 * ```
 * build
 * ├─ test
 * └─ lint
 *    └─ deploy      also after test
 * ```
 *
 * Layers come from the engine's graph (`buildGraph`: runAfter and result references): a task's
 * layer is one more than its deepest parent's. Pure.
 */
import type { PipelineTask } from '../../api/pipeline.ts';
import { buildGraph } from '../../pipelines/pipeline/index.ts';

export interface TreeRow {
  name: string;
  /** `├─ `, `│  └─ `, ...: what goes before the name. */
  prefix: string;
  /** Layer in the DAG: 0 for the tasks that wait for nothing. */
  layer: number;
  /** Every task it waits for. */
  after: string[];
  /** The parents it is not drawn under. */
  also: string[];
}

/** Layer of each task: 0 without parents, else one more than its deepest parent. */
export function layersOf(
  order: readonly string[],
  parents: ReadonlyMap<string, string[]>,
): Map<string, number> {
  const layers = new Map<string, number>();
  for (const n of order) {
    const ps = parents.get(n) ?? [];
    layers.set(n, ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => layers.get(p) ?? 0)));
  }
  return layers;
}

/** The parent a task is drawn under. */
function primaryParent(
  ps: readonly string[],
  layers: ReadonlyMap<string, number>,
  position: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined;
  for (const p of ps) {
    if (best === undefined) best = p;
    else {
      const [lp, lb] = [layers.get(p) ?? 0, layers.get(best) ?? 0];
      if (lp > lb || (lp === lb && (position.get(p) ?? 0) > (position.get(best) ?? 0))) best = p;
    }
  }
  return best;
}

/** The rows of the tree of `tasks`, in drawing order. A graph with a cycle is drawn flat. */
export function drawTree(tasks: readonly PipelineTask[]): TreeRow[] {
  const g = buildGraph(tasks);
  if (g.cycle) {
    return g.names.map((name) => ({
      name,
      prefix: '',
      layer: 0,
      after: g.parents.get(name) ?? [],
      also: [],
    }));
  }
  const layers = layersOf(g.order, g.parents);
  const position = new Map(g.order.map((n, i) => [n, i]));
  const under = new Map<string, string[]>();
  const primary = new Map<string, string | undefined>();
  for (const name of g.names) {
    const p = primaryParent(g.parents.get(name) ?? [], layers, position);
    primary.set(name, p);
    if (p !== undefined) under.set(p, [...(under.get(p) ?? []), name]);
  }
  const rows: TreeRow[] = [];
  const visit = (name: string, prefix: string, carry: string): void => {
    const after = g.parents.get(name) ?? [];
    const p = primary.get(name);
    rows.push({
      name,
      prefix,
      layer: layers.get(name) ?? 0,
      after,
      also: after.filter((a) => a !== p),
    });
    const kids = under.get(name) ?? [];
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      visit(k, carry + (last ? '└─ ' : '├─ '), carry + (last ? '   ' : '│  '));
    });
  };
  for (const name of g.names) if (primary.get(name) === undefined) visit(name, '', '');
  return rows;
}

/** Finally tasks: one branch each under a `finally` heading (drawn by the caller). */
export function finallyRows(tasks: readonly PipelineTask[]): TreeRow[] {
  return tasks.map((t, i) => ({
    name: t.name,
    prefix: i === tasks.length - 1 ? '└─ ' : '├─ ',
    layer: 0,
    after: [],
    also: [],
  }));
}
