/**
 * One pipeline task's standing, from its children: the newest attempt of each matrix
 * combination decides. A failed attempt (not a cancelled one) with retries left is retried when
 * the run allows it; a combination with no child yet (a start that was lost) is started again.
 * The task is Running while any combination is, Succeeded when all are, else Failed — or
 * Cancelled when a child was cancelled. Results: the child's; for a matrixed task each string
 * result becomes an array in combination order (as Tekton's `$(tasks.t.results.r[*])`).
 */
import type { ParamValue, PipelineTask } from '../../api/pipeline.ts';
import { TASK_RUN_REASONS, type ChildState } from './types.ts';

export interface Attempt {
  matrixIndex?: number;
  attempt: number;
}

export interface Derived {
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
  /** The newest child of each combination, in combination order. */
  latest: ChildState[];
  /** Attempts to start now: retries, and combinations that have no child. */
  restart: Attempt[];
  results: Map<string, ParamValue>;
  reason: string;
  attempts: number;
  /** The newest children that were cancelled (not failed on their own). */
  cancelled: ChildState[];
}

export interface DeriveOptions {
  /** Retries and lost starts may be started (not while the run is being cancelled or out of time). */
  mayStart: boolean;
  /** `engine`: retries are new children; `child`: the child retries itself. */
  retries: 'engine' | 'child';
  /** For a matrixed task: how many combinations it fans out to (when known). */
  combinations?: number;
}

export function isCancelled(c: ChildState): boolean {
  return c.status === 'Failed' && c.reason === TASK_RUN_REASONS.cancelled;
}

/** The newest child of each combination, in combination order. */
function newest(children: readonly ChildState[]): ChildState[] {
  const byIndex = new Map<number, ChildState>();
  for (const c of children) {
    const i = c.matrixIndex ?? -1;
    const prev = byIndex.get(i);
    if (!prev || c.attempt > prev.attempt) byIndex.set(i, c);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
}

/** Combinations without a child, and failed attempts with retries left. */
function restarts(pt: PipelineTask, latest: ChildState[], o: DeriveOptions): Attempt[] {
  if (!o.mayStart) return [];
  const out: Attempt[] = [];
  const have = new Set(latest.map((c) => c.matrixIndex));
  for (let i = 0; pt.matrix && i < (o.combinations ?? 0); i++) {
    if (!have.has(i)) out.push({ matrixIndex: i, attempt: 0 });
  }
  const retries = o.retries === 'engine' ? (pt.retries ?? 0) : 0;
  for (const c of latest) {
    if (c.status !== 'Failed' || isCancelled(c) || c.attempt >= retries) continue;
    const next = c.attempt + 1;
    out.push(
      c.matrixIndex === undefined
        ? { attempt: next }
        : { matrixIndex: c.matrixIndex, attempt: next },
    );
  }
  return out;
}

/** The standing of `pt` from its children (at least one). */
export function derive(
  pt: PipelineTask,
  children: readonly ChildState[],
  o: DeriveOptions,
): Derived {
  const latest = newest(children);
  const restart = restarts(pt, latest, o);
  const retried = new Set(restart.map((r) => r.matrixIndex));
  const cancelled = latest.filter((c) => isCancelled(c) && !retried.has(c.matrixIndex));
  const failing = latest.find((c) => c.status !== 'Succeeded');
  return {
    phase: phaseOf(latest, restart, cancelled),
    latest,
    restart,
    results: pt.matrix ? matrixResults(latest) : childResults(latest[0]),
    reason: (failing ?? latest[0])?.reason ?? '',
    attempts: Math.max(...children.map((c) => c.attempt)) + 1,
    cancelled,
  };
}

function phaseOf(
  latest: ChildState[],
  restart: Attempt[],
  cancelled: ChildState[],
): Derived['phase'] {
  const active = latest.some((c) => c.status === 'Pending' || c.status === 'Running');
  if (active || restart.length > 0) return 'Running';
  if (latest.every((c) => c.status === 'Succeeded')) return 'Succeeded';
  return cancelled.length > 0 ? 'Cancelled' : 'Failed';
}

function childResults(c: ChildState | undefined): Map<string, ParamValue> {
  return new Map((c?.results ?? []).map((r) => [r.name, r.value]));
}

function matrixResults(latest: ChildState[]): Map<string, ParamValue> {
  const out = new Map<string, string[]>();
  for (const c of latest) {
    for (const r of c.results ?? []) {
      if (typeof r.value !== 'string') continue;
      out.set(r.name, [...(out.get(r.name) ?? []), r.value]);
    }
  }
  return out;
}
