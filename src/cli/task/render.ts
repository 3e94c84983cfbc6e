/**
 * Text for `sluice task` and `sluice taskrun`: a Task's definition (params, results,
 * workspaces, steps), rows of Tasks and TaskRuns, and a TaskRun with its steps (state, exit
 * code, duration). Pure: the clock is passed in.
 */
import type { ParamValue, StepState, Task, TaskRun } from '../../api/pipeline.ts';
import { ATTEMPT_LABEL, RUN_LABEL, TASK_LABEL } from '../../pipelines/pipelinerun/children.ts';
import { formatDuration } from '../../util/progress.ts';
import { bold } from '../context.ts';
import { formatTable } from '../output.ts';
import { formatValue, stateColor } from '../pipeline/render.ts';
import { age } from '../rollout/render.ts';
import type { TaskState } from '../pipeline/view.ts';

const field = (label: string, value: string): string => `${bold(`${label}:`.padEnd(13))}${value}`;

const ms = (t: string | undefined): number | undefined => {
  const v = t === undefined ? NaN : Date.parse(t);
  return Number.isFinite(v) ? v : undefined;
};

function span(start: string | undefined, end: string | undefined, now: Date): number | undefined {
  const a = ms(start);
  if (a === undefined) return undefined;
  return Math.max(0, (ms(end) ?? now.getTime()) - a);
}

export interface TaskRow {
  name: string;
  namespace: string;
  steps: number;
  params: string[];
  createdAt?: string;
}

export const taskRow = (t: Task): TaskRow => ({
  name: t.metadata.name,
  namespace: t.metadata.namespace,
  steps: t.spec.steps.length,
  params: (t.spec.params ?? []).map((p) => p.name),
  ...(t.metadata.creationTimestamp ? { createdAt: t.metadata.creationTimestamp } : {}),
});

export function renderTasks(rows: readonly TaskRow[], allNamespaces: boolean, now: Date): string {
  const header = ['NAME', 'STEPS', 'PARAMS', 'AGE'];
  return formatTable(
    allNamespaces ? ['NAMESPACE', ...header] : header,
    rows.map((r) => {
      const cells = [r.name, String(r.steps), r.params.join(', '), age(r.createdAt, now)];
      return allNamespaces ? [r.namespace, ...cells] : cells;
    }),
  );
}

/** `sluice task get`. */
export function renderTask(t: Task): string {
  const s = t.spec;
  const lines = [field('Name', t.metadata.name), field('Namespace', t.metadata.namespace)];
  if (s.description) lines.push(field('Description', s.description.trim()));
  const params = (s.params ?? []).map((p) => {
    const d = p.default === undefined ? ' (required)' : ` = ${formatValue(p.default)}`;
    return `${p.name} (${p.type ?? 'string'})${d}`;
  });
  if (params.length > 0) lines.push(field('Params', params.join(', ')));
  if ((s.results ?? []).length > 0)
    lines.push(field('Results', (s.results ?? []).map((r) => r.name).join(', ')));
  const ws = (s.workspaces ?? []).map((w) => (w.optional ? `${w.name} (optional)` : w.name));
  if (ws.length > 0) lines.push(field('Workspaces', ws.join(', ')));
  const steps = formatTable(
    ['STEP', 'IMAGE', 'RUNS'],
    s.steps.map((st, i) => [
      st.name ?? `unnamed-${i}`,
      st.image ?? '',
      (
        st.script?.trim().split('\n')[0] ?? [...(st.command ?? []), ...(st.args ?? [])].join(' ')
      ).slice(0, 60),
    ]),
  );
  return `${lines.join('\n')}\n\n${steps}`;
}

/** A TaskRun's state in one word, as a pipeline task's (TimedOut, Cancelled, ...). */
export function taskRunState(tr: TaskRun): { state: TaskState; reason: string; message: string } {
  const c = tr.status?.conditions?.find((x) => x.type === 'Succeeded');
  const reason = c?.reason ?? '';
  const message = c?.message ?? '';
  if (c?.status === 'True') return { state: 'Succeeded', reason, message };
  if (c?.status === 'False') {
    if (reason === 'TaskRunTimeout') return { state: 'TimedOut', reason, message };
    if (reason === 'TaskRunCancelled') return { state: 'Cancelled', reason, message };
    return { state: 'Failed', reason, message };
  }
  return { state: tr.status?.startTime ? 'Running' : 'Pending', reason, message };
}

export interface TaskRunRow {
  name: string;
  namespace: string;
  task: string;
  pipelineRun: string;
  state: TaskState;
  reason: string;
  startTime?: string;
  durationMs?: number;
}

export function taskRunRow(tr: TaskRun, now: Date): TaskRunRow {
  const labels = tr.metadata.labels ?? {};
  const { state, reason } = taskRunState(tr);
  const d = span(tr.status?.startTime, tr.status?.completionTime, now);
  return {
    name: tr.metadata.name,
    namespace: tr.metadata.namespace,
    task: labels[TASK_LABEL] ?? tr.spec.taskRef?.name ?? '',
    pipelineRun: labels[RUN_LABEL] ?? '',
    state,
    reason,
    ...(tr.status?.startTime ? { startTime: tr.status.startTime } : {}),
    ...(d !== undefined ? { durationMs: d } : {}),
  };
}

const statusCell = (state: TaskState, reason: string): string =>
  reason && reason !== state ? `${stateColor(state)} (${reason})` : stateColor(state);

export function renderTaskRuns(
  rows: readonly TaskRunRow[],
  allNamespaces: boolean,
  now: Date,
): string {
  const header = ['NAME', 'TASK', 'PIPELINERUN', 'STATUS', 'STARTED', 'DURATION'];
  return formatTable(
    allNamespaces ? ['NAMESPACE', ...header] : header,
    rows.map((r) => {
      const cells = [
        r.name,
        r.task || '(inline)',
        r.pipelineRun,
        statusCell(r.state, r.reason),
        r.startTime ? `${age(r.startTime, now)} ago` : '',
        r.durationMs === undefined ? '' : formatDuration(r.durationMs),
      ];
      return allNamespaces ? [r.namespace, ...cells] : cells;
    }),
  );
}

function stepCells(s: StepState, now: Date): string[] {
  const t = s.terminated;
  const state = t
    ? (s.terminationReason ?? t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'))
    : s.running
      ? 'Running'
      : (s.waiting?.reason ?? 'Waiting');
  const d = span(t?.startedAt ?? s.running?.startedAt, t?.finishedAt, now);
  return [s.name, state, t ? String(t.exitCode) : '', d === undefined ? '' : formatDuration(d)];
}

function runLines(tr: TaskRun, r: TaskRunRow): string[] {
  const { message } = taskRunState(tr);
  const attempt = Number(tr.metadata.labels?.[ATTEMPT_LABEL] ?? 0);
  const lines = [
    field('Name', r.name),
    field('Namespace', r.namespace),
    field('Task', r.task || '(inline taskSpec)'),
  ];
  if (r.pipelineRun)
    lines.push(field('PipelineRun', `${r.pipelineRun}${attempt > 0 ? ` (retry ${attempt})` : ''}`));
  lines.push(field('Status', statusCell(r.state, r.reason)));
  if (message) lines.push(field('Message', message));
  if (tr.status?.podName) lines.push(field('Pod', tr.status.podName));
  return lines;
}

function valueLines(tr: TaskRun): string[] {
  const params = tr.spec.params ?? [];
  const results = tr.status?.results ?? [];
  const pairs = (xs: ReadonlyArray<{ name: string; value: ParamValue }>) =>
    xs.map((x) => `${x.name}=${formatValue(x.value)}`).join(', ');
  return [
    ...(params.length > 0 ? [field('Params', pairs(params))] : []),
    ...(results.length > 0 ? [field('Results', pairs(results))] : []),
  ];
}

/** `sluice taskrun get`. */
export function renderTaskRun(tr: TaskRun, now: Date): string {
  const r = taskRunRow(tr, now);
  const lines = runLines(tr, r);
  if (r.startTime) lines.push(field('Started', `${age(r.startTime, now)} ago (${r.startTime})`));
  if (r.durationMs !== undefined) lines.push(field('Duration', formatDuration(r.durationMs)));
  lines.push(...valueLines(tr));
  const steps = tr.status?.steps ?? [];
  const table =
    steps.length > 0
      ? formatTable(
          ['STEP', 'STATUS', 'EXIT', 'DURATION'],
          steps.map((s) => stepCells(s, now)),
        )
      : 'no steps have run yet\n';
  return `${lines.join('\n')}\n\n${table}`;
}
