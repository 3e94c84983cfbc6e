/**
 * Text for `sluice rollout get` and `list`: a summary (status, strategy, step, weights, images,
 * replicas) above a tree of revisions, each with its ReplicaSets, their pods, and the
 * AnalysisRuns that judged it with each metric's latest measurements. Pure: time is passed in.
 */
import type { Rollout } from '../../api/rollout.ts';
import { bold, green, red, statusColor, yellow } from '../context.ts';
import { formatTable } from '../output.ts';
import type {
  AnalysisRunView,
  MeasurementView,
  MetricView,
  ReplicaSetView,
  RevisionView,
  RolloutView,
} from './view.ts';
import { setWeightOf } from './progress.ts';

/** Colours a phase: Healthy and Successful green, Degraded/Failed/Error red, waiting yellow. */
export function phaseColor(phase: string): string {
  if (phase === 'Successful') return green(phase);
  if (phase === 'Paused' || phase === 'Inconclusive' || phase === 'Pending') return yellow(phase);
  if (phase === 'Terminating' || phase === 'ScaledDown') return phase;
  if (/BackOff|Err|Invalid/.test(phase)) return red(phase);
  return statusColor(phase);
}

/** `8s`, `5m`, `3h`, `2d`, as kubectl prints ages. */
export function age(since: string | undefined, now: Date): string {
  if (!since) return '';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const field = (label: string, value: string): string => `${bold(`${label}:`.padEnd(17))}${value}`;
const sub = (label: string, value: string): string => `  ${`${label}:`.padEnd(15)}${value}`;

function statusLine(v: RolloutView): string {
  const parts = [phaseColor(v.phase)];
  if (v.aborted && v.phase !== 'Degraded') parts.push(red('(aborted)'));
  if (v.message) parts.push(v.message);
  if (v.stale) parts.push(yellow('(spec changed; the controller has not caught up yet)'));
  return parts.join('  ');
}

function summaryLines(v: RolloutView): string[] {
  const lines = [
    field('Name', v.name),
    field('Namespace', v.namespace),
    field('Status', statusLine(v)),
    field('Strategy', v.strategy),
  ];
  if (v.step) lines.push(sub('Step', `${v.step.index}/${v.step.count}`));
  if (v.setWeight !== undefined) lines.push(sub('Set weight', String(v.setWeight)));
  if (v.actualWeight !== undefined) lines.push(sub('Actual weight', String(v.actualWeight)));
  v.images.forEach((img, i) => {
    const roles = img.roles.length > 0 ? ` (${img.roles.join(', ')})` : '';
    lines.push(i === 0 ? field('Images', img.image + roles) : ' '.repeat(17) + img.image + roles);
  });
  const r = v.replicas;
  lines.push(
    field(
      'Replicas',
      `${r.desired} desired, ${r.current} current, ${r.updated} updated, ${r.ready} ready, ${r.available} available`,
    ),
  );
  if (v.conditions.length > 0) {
    const text = v.conditions.map(
      (c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`,
    );
    lines.push(field('Conditions', text.join(', ')));
  }
  for (const c of v.conditions) {
    if (c.message && isProblem(c)) lines.push(field(c.type, red(c.message)));
  }
  return lines;
}

const isProblem = (c: { type: string; status: string }): boolean =>
  ((c.type === 'InvalidSpec' || c.type === 'ReplicaFailure') && c.status === 'True') ||
  (c.type === 'Progressing' && c.status === 'False');

/** One row of the tree and the rows under it. */
interface Node {
  cells: [name: string, kind: string, status: string, age: string, info: string];
  children: Node[];
}

function measurementText(m: MeasurementView): string {
  const value = m.value ?? '';
  if (m.phase === 'Successful') return value || 'ok';
  const what = m.phase === 'Error' && m.message ? `Error: ${m.message}` : m.phase;
  return value ? `${value} (${what})` : what;
}

function metricNode(m: MetricView): Node {
  const counts = [
    m.successful > 0 ? green(`${m.successful} ok`) : '',
    m.failed > 0 ? red(`${m.failed} failed`) : '',
    m.inconclusive > 0 ? yellow(`${m.inconclusive} inconclusive`) : '',
    m.error > 0 ? red(`${m.error} error`) : '',
  ].filter(Boolean);
  const latest = m.latest.map(measurementText).join(', ');
  const info = [counts.join(' '), latest ? `latest: ${latest}` : '', m.message ?? '']
    .filter(Boolean)
    .join('; ');
  return { cells: [m.name, 'Metric', phaseColor(m.phase), '', info], children: [] };
}

function runNode(ar: AnalysisRunView, detailed: boolean, now: Date): Node {
  const info = [ar.current ? 'current' : '', ar.message ?? ''].filter(Boolean).join('; ');
  return {
    cells: [ar.name, 'AnalysisRun', phaseColor(ar.phase), age(ar.createdAt, now), info],
    children: detailed ? ar.metrics.map(metricNode) : [],
  };
}

function replicaSetNode(rs: ReplicaSetView, now: Date): Node {
  const info = [...rs.roles, `${rs.ready}/${rs.desired} ready`].join(', ');
  return {
    cells: [rs.name, 'ReplicaSet', phaseColor(rs.status), age(rs.createdAt, now), info],
    children: rs.pods.map((p) => ({
      cells: [
        p.name,
        'Pod',
        phaseColor(p.status),
        age(p.createdAt, now),
        `ready ${p.ready}${p.restarts > 0 ? `, ${p.restarts} restarts` : ''}`,
      ],
      children: [],
    })),
  };
}

function revisionNode(r: RevisionView, newest: boolean, now: Date): Node {
  return {
    cells: [bold(`revision ${r.revision ?? '?'}`), '', '', '', ''],
    children: [
      ...r.replicaSets.map((rs) => replicaSetNode(rs, now)),
      ...r.analysisRuns.map((ar) => runNode(ar, newest || ar.current, now)),
    ],
  };
}

/** Flattens the tree into table rows, drawing its branches in the name column. */
function rowsOf(nodes: readonly Node[], prefix: string, top: boolean): string[][] {
  return nodes.flatMap((n, i) => {
    const last = i === nodes.length - 1;
    const branch = top ? '' : last ? '└─ ' : '├─ ';
    const row = [prefix + branch + n.cells[0], ...n.cells.slice(1)];
    const next = top ? '' : prefix + (last ? '   ' : '│  ');
    return [row, ...rowsOf(n.children, next, false)];
  });
}

/** The whole `sluice rollout get` text. */
export function renderRollout(v: RolloutView, now: Date): string {
  const lines = summaryLines(v);
  if (v.revisions.length > 0) {
    const nodes = v.revisions.map((r, i) => revisionNode(r, i === 0, now));
    const table = formatTable(['NAME', 'KIND', 'STATUS', 'AGE', 'INFO'], rowsOf(nodes, '', true));
    lines.push('', table.trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** STEP and SET-WEIGHT: `-` for blue-green (and STEP for a canary without steps). */
function stepCells(ro: Rollout): [string, string] {
  if (ro.spec.strategy.blueGreen) return ['-', '-'];
  const steps = ro.spec.strategy.canary?.steps?.length ?? 0;
  const index = Math.min(ro.status?.currentStepIndex ?? 0, steps);
  return [steps > 0 ? `${index}/${steps}` : '-', String(setWeightOf(ro))];
}

function listRow(ro: Rollout): string[] {
  const s = ro.status;
  const desired = ro.spec.replicas ?? 1;
  return [
    ro.metadata.name,
    ro.spec.strategy.blueGreen ? 'BlueGreen' : 'Canary',
    phaseColor(s?.phase ?? 'Unknown'),
    ...stepCells(ro),
    `${s?.readyReplicas ?? 0}/${desired}`,
    String(desired),
    String(s?.updatedReplicas ?? 0),
    String(s?.availableReplicas ?? 0),
  ];
}

const LIST_HEADER = ['NAME', 'STRATEGY', 'STATUS', 'STEP', 'SET-WEIGHT', 'READY', 'DESIRED'];

/** The `sluice rollout list` table (NAMESPACE first with -A). */
export function renderList(rollouts: readonly Rollout[], allNamespaces: boolean): string {
  const header = [...LIST_HEADER, 'UP-TO-DATE', 'AVAILABLE'];
  const rows = rollouts.map((ro) =>
    allNamespaces ? [ro.metadata.namespace, ...listRow(ro)] : listRow(ro),
  );
  return formatTable(allNamespaces ? ['NAMESPACE', ...header] : header, rows);
}
