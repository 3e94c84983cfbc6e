/**
 * `sluice promote status` as a table: one row per environment of each Promotion, saying what it
 * runs (and since when it is Healthy on it), what is on its way in, that step's phase and each
 * gate. Pure: the command reads the Promotions and prints this.
 */
import type { EnvironmentStatus, GateStatus, Promotion } from '../../api/promotion.ts';
import { shortVersion } from '../../delivery/promotion/imageref.ts';
import { formatDuration } from '../../util/progress.ts';
import { formatTable } from '../output.ts';
import { statusColor } from '../context.ts';

const GATE_MARK: Record<GateStatus['state'], string> = { Passed: '✓', Pending: '…', Failed: '✗' };

const ago = (iso: string | undefined, now: number): string =>
  iso ? `${formatDuration(Math.max(0, now - Date.parse(iso)))}` : '';

function gates(g: readonly GateStatus[] | undefined): string {
  return (g ?? []).map((x) => `${x.name} ${GATE_MARK[x.state]}`).join(', ');
}

function row(p: Promotion, e: EnvironmentStatus, now: number): string[] {
  const c = e.candidate;
  const runs = e.current
    ? `${shortVersion(e.current.version)}${e.current.since ? ` (healthy ${ago(e.current.since, now)})` : ''}`
    : '-';
  return [
    p.metadata.name,
    e.name,
    runs,
    c ? shortVersion(c.version) : '',
    c ? statusColor(c.phase) : '',
    gates(c?.gates),
    c?.message ?? '',
  ];
}

/** The table of `promotions`, environments in their order. */
export function promotionTable(promotions: readonly Promotion[], now = Date.now()): string {
  const rows: string[][] = [];
  for (const p of promotions) {
    const status = new Map((p.status?.environments ?? []).map((e) => [e.name, e]));
    for (const env of p.spec.environments)
      rows.push(row(p, status.get(env.name) ?? { name: env.name }, now));
  }
  return formatTable(['PROMOTION', 'ENV', 'RUNS', 'NEXT', 'PHASE', 'GATES', 'MESSAGE'], rows);
}
