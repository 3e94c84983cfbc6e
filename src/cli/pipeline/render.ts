/**
 * Text for the `sluice pipeline` read commands: a PipelineRun (a summary above its task graph,
 * each task with its state and duration), lists of runs and of Pipelines, and a Pipeline's
 * definition. Pure: the clock is passed in; colour only on a terminal (context.ts).
 */
import type { ParamValue, Pipeline } from '../../api/pipeline.ts';
import { formatDuration } from '../../util/progress.ts';
import { bold, red, statusColor, yellow } from '../context.ts';
import { formatTable } from '../output.ts';
import { age } from '../rollout/render.ts';
import { drawTree, finallyRows, type TreeRow } from './graph.ts';
import { isDone, type RunState, type RunView, type TaskState, type TaskView } from './view.ts';

/** A param or result value on one line: `a`, `[a, b]`, `{k: v}`. */
export function formatValue(v: ParamValue): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}: ${x}`)
    .join(', ')}}`;
}

export function stateColor(s: TaskState | RunState): string {
  if (s === 'TimedOut' || s === 'Cancelled') return red(s);
  if (s === 'Waiting' || s === 'Pending' || s === 'Queued' || s === 'Retrying') return yellow(s);
  if (s === 'Skipped' || s === 'NotRun') return s;
  return statusColor(s);
}

const field = (label: string, value: string): string => `${bold(`${label}:`.padEnd(12))}${value}`;
const duration = (ms: number | undefined): string => (ms === undefined ? '' : formatDuration(ms));

function statusLine(v: RunView): string {
  const parts = [stateColor(v.state)];
  if (v.reason && v.reason !== v.state) parts.push(`(${v.reason})`);
  if (v.queuePosition !== undefined && v.state === 'Queued')
    parts.push(`position ${v.queuePosition + 1} in the namespace's queue`);
  if (v.requested && !isDone(v.state)) parts.push(yellow(`${v.requested} requested`));
  return parts.join(' ');
}

function summary(v: RunView, now: Date): string[] {
  const lines = [
    field('Name', v.name),
    field('Namespace', v.namespace),
    field('Pipeline', v.pipeline || '(inline pipelineSpec)'),
    field('Status', statusLine(v)),
  ];
  if (v.message) lines.push(field('Message', v.message));
  const started = v.startTime ?? v.createdAt;
  if (started) lines.push(field('Started', `${age(started, now)} ago (${started})`));
  if (v.durationMs !== undefined) lines.push(field('Duration', duration(v.durationMs)));
  if (v.params.length > 0)
    lines.push(
      field('Params', v.params.map((p) => `${p.name}=${formatValue(p.value)}`).join(', ')),
    );
  if (v.results.length > 0)
    lines.push(
      field('Results', v.results.map((r) => `${r.name}=${formatValue(r.value)}`).join(', ')),
    );
  return lines;
}

/** The INFO cell: why, how far, which other tasks it waited for. */
export function taskInfo(t: TaskView): string {
  const parts: string[] = [];
  if (t.reason && t.reason !== t.state) parts.push(t.reason);
  if (t.message) parts.push(t.message);
  if (t.matrix) parts.push(`${t.matrix.done}/${t.matrix.total} combinations done`);
  if (t.attempts > 1) parts.push(`attempt ${t.attempts}`);
  if (t.also.length > 0) parts.push(`also after ${t.also.join(', ')}`);
  return parts.join('; ');
}

/** The task graph with states: a tree of the DAG, then the finally tasks. */
export function renderTasks(tasks: readonly TaskView[]): string {
  if (tasks.length === 0) return 'no tasks (the spec is not known yet)\n';
  const row = (t: TaskView): string[] => [
    t.prefix + t.name,
    stateColor(t.state),
    duration(t.durationMs),
    taskInfo(t),
  ];
  const dag = tasks.filter((t) => !t.finally).map(row);
  const fin = tasks.filter((t) => t.finally).map(row);
  const rows = fin.length > 0 ? [...dag, [bold('finally'), '', '', ''], ...fin] : dag;
  return formatTable(['TASK', 'STATUS', 'DURATION', 'INFO'], rows);
}

/** `sluice pipeline get RUN`. */
export function renderRun(v: RunView, now: Date): string {
  return `${summary(v, now).join('\n')}\n\n${renderTasks(v.tasks)}`;
}

/** One row of `sluice pipeline runs`: what a person scans for. */
export interface RunRow {
  name: string;
  namespace: string;
  pipeline: string;
  state: RunState;
  reason: string;
  startTime?: string;
  durationMs?: number;
}

export const runRow = (v: RunView): RunRow => ({
  name: v.name,
  namespace: v.namespace,
  pipeline: v.pipeline,
  state: v.state,
  reason: v.reason,
  ...((v.startTime ?? v.createdAt) ? { startTime: v.startTime ?? v.createdAt ?? '' } : {}),
  ...(v.durationMs !== undefined ? { durationMs: v.durationMs } : {}),
});

const statusCell = (r: { state: RunState; reason: string }): string =>
  r.reason && r.reason !== r.state ? `${stateColor(r.state)} (${r.reason})` : stateColor(r.state);

const ago = (t: string | undefined, now: Date): string => (t ? `${age(t, now)} ago` : '');

export function renderRuns(rows: readonly RunRow[], allNamespaces: boolean, now: Date): string {
  const header = ['NAME', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION'];
  return formatTable(
    allNamespaces ? ['NAMESPACE', ...header] : header,
    rows.map((r) => {
      const cells = [
        r.name,
        r.pipeline || '(inline)',
        statusCell(r),
        ago(r.startTime, now),
        duration(r.durationMs),
      ];
      return allNamespaces ? [r.namespace, ...cells] : cells;
    }),
  );
}

/** One row of `sluice pipeline list`: a Pipeline and its newest run. */
export interface PipelineRow {
  name: string;
  namespace: string;
  tasks: number;
  lastRun?: RunRow;
}

export function renderPipelines(
  rows: readonly PipelineRow[],
  allNamespaces: boolean,
  now: Date,
): string {
  const header = ['NAME', 'TASKS', 'LAST RUN', 'STATUS', 'STARTED', 'DURATION'];
  return formatTable(
    allNamespaces ? ['NAMESPACE', ...header] : header,
    rows.map((p) => {
      const r = p.lastRun;
      const cells = [
        p.name,
        String(p.tasks),
        r?.name ?? '---',
        r ? statusCell(r) : '',
        ago(r?.startTime, now),
        duration(r?.durationMs),
      ];
      return allNamespaces ? [p.namespace, ...cells] : cells;
    }),
  );
}

function graphLines(rows: readonly TreeRow[]): string[][] {
  return rows.map((r) => [
    r.prefix + r.name,
    r.also.length > 0 ? `also after ${r.also.join(', ')}` : '',
  ]);
}

/** `sluice pipeline describe`: params, workspaces, results, the task graph, the latest runs. */
export function renderPipeline(p: Pipeline, runs: readonly RunRow[], now: Date): string {
  const s = p.spec;
  const lines = [field('Name', p.metadata.name), field('Namespace', p.metadata.namespace)];
  if (s.description) lines.push(field('Description', s.description.trim()));
  const params = (s.params ?? []).map((x) => {
    const d = x.default === undefined ? ' (required)' : ` = ${formatValue(x.default)}`;
    return `${x.name} (${x.type ?? 'string'})${d}`;
  });
  if (params.length > 0) lines.push(field('Params', params.join(', ')));
  const ws = (s.workspaces ?? []).map((w) => (w.optional ? `${w.name} (optional)` : w.name));
  if (ws.length > 0) lines.push(field('Workspaces', ws.join(', ')));
  if ((s.results ?? []).length > 0)
    lines.push(field('Results', (s.results ?? []).map((r) => r.name).join(', ')));
  const graph = graphLines(drawTree(s.tasks));
  const fin = graphLines(finallyRows(s.finally ?? []));
  const tasks = formatTable(
    ['TASK', 'INFO'],
    fin.length > 0 ? [...graph, [bold('finally'), ''], ...fin] : graph,
  );
  const recent = runs.length > 0 ? `\n${renderRuns(runs, false, now)}` : '\nno runs yet\n';
  return `${lines.join('\n')}\n\n${tasks}${recent}`;
}
