/**
 * What the scan gate prints (pure): the table of what blocked — id, package, installed, fixed,
 * severity, CVSS, why — then allowed findings, expired and unused allowlist entries, and one
 * summary line. `gateSummary` is the same as data, for `-o json` and the Task's results.
 */
import { formatTable } from '../../cli/output.ts';
import type { AllowEntry } from './allowlist.ts';
import type { Finding, Scanner, Severity } from './findings.ts';
import type { Blocked, GatePolicy, GateResult } from './gate.ts';

export interface GateSummary {
  passed: boolean;
  scanner: Scanner;
  threshold: { severity?: Severity; cvss?: number; ignoreUnfixed: boolean };
  total: number;
  blocked: number;
  allowed: number;
  ignoredUnfixed: number;
  expiredEntries: string[];
  blockedIds: string[];
}

const score = (f: Finding): string => (f.cvss === undefined ? '-' : f.cvss.toFixed(1));

function why(b: Blocked, p: GatePolicy): string {
  const parts = b.reasons.map((r) =>
    r === 'severity' ? `severity >= ${p.severity ?? ''}` : `CVSS >= ${(p.cvss ?? 0).toFixed(1)}`,
  );
  if (b.expiredEntry) parts.push(`allowlist entry expired ${b.expiredEntry.expiresText}`);
  return parts.join(', ');
}

/** The blocked findings as a table. */
export function blockedTable(r: GateResult, p: GatePolicy): string {
  const rows = r.blocked.map((b) => [
    b.finding.id,
    b.finding.package,
    b.finding.installed,
    b.finding.fixed || '(none)',
    b.finding.severity,
    score(b.finding),
    why(b, p),
  ]);
  return formatTable(['ID', 'PACKAGE', 'INSTALLED', 'FIXED', 'SEVERITY', 'CVSS', 'WHY'], rows);
}

export function thresholdText(p: GatePolicy): string {
  const parts: string[] = [];
  if (p.severity !== undefined) parts.push(`severity >= ${p.severity}`);
  if (p.cvss !== undefined) parts.push(`CVSS >= ${p.cvss.toFixed(1)}`);
  return parts.join(' or ') + (p.ignoreUnfixed ? ', unfixed ignored' : '');
}

const entryLine = (e: AllowEntry): string =>
  `  ${e.id}${e.package ? ` (${e.package})` : ''} expires ${e.expiresText} [${e.where}]${e.reason ? ` — ${e.reason}` : ''}`;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The one-line verdict. */
export function summaryLine(r: GateResult, p: GatePolicy, scanner: Scanner): string {
  const counts = [
    `${plural(r.total, 'finding')} in the ${scanner} report`,
    `${r.blocked.length} blocked`,
    `${r.allowed.length} allowed`,
    ...(p.ignoreUnfixed ? [`${r.ignoredUnfixed.length} unfixed ignored`] : []),
    `${r.below} below the threshold`,
    ...(r.expiredEntries.length > 0
      ? [plural(r.expiredEntries.length, 'expired entry', 'expired entries')]
      : []),
  ].join(', ');
  const verdict = r.passed ? 'PASSED' : 'BLOCKED';
  return `scan gate ${verdict} (${thresholdText(p)}): ${counts}`;
}

/** Everything printed for people. */
export function formatGate(r: GateResult, p: GatePolicy, scanner: Scanner): string {
  const out: string[] = [];
  if (r.blocked.length > 0) out.push(`Blocked (${thresholdText(p)}):`, blockedTable(r, p));
  if (r.allowed.length > 0) {
    out.push('Allowed by the allowlist:');
    for (const a of r.allowed) {
      out.push(
        `  ${a.finding.id} ${a.finding.package} ${a.finding.installed} until ${a.entry.expiresText}`,
      );
    }
  }
  if (r.expiredEntries.length > 0) {
    out.push('Expired allowlist entries (they allow nothing any more; renew or remove them):');
    out.push(...r.expiredEntries.map(entryLine));
  }
  if (r.unusedEntries.length > 0) {
    out.push('Allowlist entries that matched nothing over the threshold:');
    out.push(...r.unusedEntries.map(entryLine));
  }
  out.push(summaryLine(r, p, scanner));
  return out.join('\n') + '\n';
}

export function gateSummary(r: GateResult, p: GatePolicy, scanner: Scanner): GateSummary {
  return {
    passed: r.passed,
    scanner,
    threshold: {
      ...(p.severity !== undefined ? { severity: p.severity } : {}),
      ...(p.cvss !== undefined ? { cvss: p.cvss } : {}),
      ignoreUnfixed: p.ignoreUnfixed === true,
    },
    total: r.total,
    blocked: r.blocked.length,
    allowed: r.allowed.length,
    ignoredUnfixed: r.ignoredUnfixed.length,
    expiredEntries: r.expiredEntries.map((e) => e.id),
    blockedIds: [...new Set(r.blocked.map((b) => b.finding.id))],
  };
}
