/**
 * What `sluice trigger list | get` show (pure; the clock is passed in): a row per Trigger
 * (repository, filters, policy, Ready, the last event), and for one Trigger its refs (the last
 * commit handled on each, with its last run) and the runs it started, newest first, with their
 * state and place in the trigger's queue. `-o json|yaml` print the same data.
 */
import type { PipelineRun } from '../../api/pipeline.ts';
import {
  COMMIT_LABEL,
  REF_ANNOTATION,
  TRIGGER_SOURCE_LABEL,
  type Trigger,
  type TriggerEvent,
} from '../../api/trigger.ts';
import { queuePositions, runState as queueState } from '../../delivery/triggers/index.ts';
import { redactRepoURL } from '../../source/index.ts';
import { bold, statusColor } from '../context.ts';
import { formatTable } from '../output.ts';
import { stateColor } from '../pipeline/render.ts';
import { runView, type RunState } from '../pipeline/view.ts';
import { age } from '../rollout/render.ts';
import { slim } from '../pipeline/objects.ts';

export interface TriggerRow {
  namespace: string;
  name: string;
  repo: string;
  refs: string;
  policy: string;
  ready: string;
  reason: string;
  message: string;
  lastEvent?: TriggerEvent;
}

export interface TriggerRunRow {
  name: string;
  ref: string;
  commit: string;
  source: string;
  state: RunState;
  reason: string;
  /** Place in the trigger's queue (1 = next), while held. */
  queuePosition?: number;
  startTime?: string;
}

export interface TriggerDetail {
  trigger: Trigger;
  runs: TriggerRunRow[];
}

const shortRef = (ref: string): string => ref.replace(/^refs\/(heads|tags)\//, '');

function refsOf(t: Trigger): string {
  const parts: string[] = [];
  if (t.spec.branches) parts.push(`branches ${t.spec.branches.join(',') || '(none)'}`);
  if (t.spec.tags) parts.push(`tags ${t.spec.tags.join(',') || '(none)'}`);
  return parts.join('; ') || 'every branch and tag';
}

export function triggerRow(t: Trigger): TriggerRow {
  const ready = t.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    namespace: t.metadata.namespace,
    name: t.metadata.name,
    repo: redactRepoURL(t.spec.repoURL),
    refs: refsOf(t),
    policy: t.spec.concurrencyPolicy ?? 'Allow',
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason ?? '',
    message: ready?.message ?? '',
    ...(t.status?.lastEvent ? { lastEvent: t.status.lastEvent } : {}),
  };
}

/** `main@3f2a9c1 Started 12s ago` */
function eventCell(e: TriggerEvent | undefined, now: Date): string {
  if (!e) return '';
  return `${shortRef(e.ref)}@${e.commit.slice(0, 7)} ${e.outcome} ${age(e.at, now)} ago`;
}

export function renderTriggers(
  rows: readonly TriggerRow[],
  allNamespaces: boolean,
  now: Date,
): string {
  const header = ['NAME', 'REPO', 'REFS', 'POLICY', 'READY', 'LAST EVENT'];
  return formatTable(
    allNamespaces ? ['NAMESPACE', ...header] : header,
    rows.map((r) => {
      const ready = r.reason ? `${statusColor(r.ready)} (${r.reason})` : statusColor(r.ready);
      const cells = [r.name, r.repo, r.refs, r.policy, ready, eventCell(r.lastEvent, now)];
      return allNamespaces ? [r.namespace, ...cells] : cells;
    }),
  );
}

/** The runs of a trigger, newest first, with their queue places. */
export function triggerRuns(runs: readonly PipelineRun[], now: Date): TriggerRunRow[] {
  const places = queuePositions(runs.map(queueState));
  return [...runs]
    .sort((a, b) => queueState(b).arrived.localeCompare(queueState(a).arrived))
    .map((r) => {
      const v = runView(r, [], undefined, now);
      const place = places.get(r.metadata.name);
      const started = v.startTime ?? v.createdAt;
      return {
        name: r.metadata.name,
        ref: r.metadata.annotations?.[REF_ANNOTATION] ?? '',
        commit: r.metadata.labels?.[COMMIT_LABEL] ?? '',
        source: r.metadata.labels?.[TRIGGER_SOURCE_LABEL] ?? '',
        state: v.state,
        reason: v.reason,
        ...(place !== undefined ? { queuePosition: place } : {}),
        ...(started ? { startTime: started } : {}),
      };
    });
}

export function triggerDetail(t: Trigger, runs: readonly PipelineRun[], now: Date): TriggerDetail {
  return { trigger: slim(t), runs: triggerRuns(runs, now) };
}

const field = (label: string, value: string): string => `${bold(`${label}:`.padEnd(13))}${value}`;

function specLines(t: Trigger, r: TriggerRow): string[] {
  const s = t.spec;
  const lines = [
    field('Name', r.name),
    field('Namespace', r.namespace),
    field('Repository', r.repo),
    field('Refs', r.refs),
  ];
  const paths = [...(s.paths ?? []), ...(s.pathsIgnore ?? []).map((p) => `ignore ${p}`)];
  if (paths.length > 0) lines.push(field('Paths', paths.join(', ')));
  const pipeline = s.template.spec.pipelineRef?.name ?? '(inline pipelineSpec)';
  lines.push(field('Pipeline', pipeline), field('Policy', r.policy));
  const poll = s.pollInterval?.trim() || '3m';
  lines.push(field('Poll', /^0+(ms|s|m|h)?$/.test(poll) ? 'webhook only' : `every ${poll}`));
  if (s.suspend) lines.push(field('Suspended', 'yes'));
  return lines;
}

function statusLines(t: Trigger, r: TriggerRow, now: Date): string[] {
  const why = r.reason ? `(${r.reason}) ` : '';
  const lines = [field('Ready', `${statusColor(r.ready)} ${why}${r.message}`)];
  const e = t.status?.lastEvent;
  if (e) {
    const run = e.run ? ` → ${e.run}` : '';
    const note = e.message ? ` (${e.message})` : '';
    lines.push(field('Last event', `${e.source}: ${eventCell(e, now)}${run}${note}`));
  }
  const q = t.status?.lastRequest;
  if (q) {
    const answer = q.error ? `${q.reason ?? 'failed'}: ${q.error}` : `→ ${q.run ?? ''}`;
    lines.push(field('Last request', `${q.id} ${answer}`));
  }
  return lines;
}

function summary(t: Trigger, now: Date): string[] {
  const r = triggerRow(t);
  return [...specLines(t, r), ...statusLines(t, r, now)];
}

function refsTable(t: Trigger, now: Date): string {
  const refs = t.status?.refs ?? [];
  if (refs.length === 0) return 'no refs watched yet\n';
  return formatTable(
    ['REF', 'COMMIT', 'OUTCOME', 'HANDLED', 'LAST RUN'],
    refs.map((r) => [
      r.ref,
      r.commit.slice(0, 7),
      r.outcome,
      `${age(r.handledAt, now)} ago`,
      r.lastRun?.name ?? '',
    ]),
  );
}

function runStatus(r: TriggerRunRow): string {
  if (r.queuePosition !== undefined) return `${stateColor(r.state)} (#${r.queuePosition} in queue)`;
  return r.reason && r.reason !== r.state
    ? `${stateColor(r.state)} (${r.reason})`
    : stateColor(r.state);
}

function runsTable(runs: readonly TriggerRunRow[], now: Date): string {
  if (runs.length === 0) return 'no runs started yet\n';
  return formatTable(
    ['RUN', 'REF', 'COMMIT', 'SOURCE', 'STATUS', 'STARTED'],
    runs.map((r) => [
      r.name,
      shortRef(r.ref),
      r.commit.slice(0, 7),
      r.source,
      runStatus(r),
      r.startTime ? `${age(r.startTime, now)} ago` : '',
    ]),
  );
}

/** `sluice trigger get NAME`. */
export function renderTrigger(d: TriggerDetail, now: Date): string {
  return `${summary(d.trigger, now).join('\n')}\n\n${refsTable(d.trigger, now)}\n${runsTable(d.runs, now)}`;
}
