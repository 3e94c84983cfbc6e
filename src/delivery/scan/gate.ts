/**
 * The scan gate's decision (pure): which findings block a release.
 *
 * A finding is over the threshold when its severity is at or above `severity`, or its CVSS score
 * is at or above `cvss` (either one, when both are given). Then, in order:
 * 1. `ignoreUnfixed` drops findings that have no fixed version (nothing to upgrade to yet);
 * 2. an allowlist entry that names the finding and has not expired allows it;
 * 3. what remains over the threshold blocks. A finding whose only matching entry has expired
 *    blocks too, and says so (`expiredEntry`).
 * Entries that expired are reported whether or not they matched anything; entries that matched
 * nothing are reported as unused (a fixed vulnerability can leave the list).
 *
 * @example
 * const r = evaluateGate(findings, { severity: 'HIGH', ignoreUnfixed: true }, allow, new Date());
 * r.passed; // false when r.blocked is not empty
 */
import { entryMatches, isExpired, type AllowEntry } from './allowlist.ts';
import { ScanError, severityRank, type Finding, type Severity } from './findings.ts';

export interface GatePolicy {
  /** Block at or above this severity. */
  severity?: Severity;
  /** Block at or above this CVSS base score (0-10). */
  cvss?: number;
  ignoreUnfixed?: boolean;
}

export type BlockReason = 'severity' | 'cvss';

export interface Blocked {
  finding: Finding;
  /** Which thresholds it crossed. */
  reasons: BlockReason[];
  /** The allowlist entry that would have allowed it, had it not expired. */
  expiredEntry?: AllowEntry;
}

export interface Allowed {
  finding: Finding;
  entry: AllowEntry;
}

export interface GateResult {
  passed: boolean;
  blocked: Blocked[];
  allowed: Allowed[];
  /** Over the threshold but without a fix, dropped by ignoreUnfixed. */
  ignoredUnfixed: Finding[];
  /** Findings under the threshold. */
  below: number;
  total: number;
  expiredEntries: AllowEntry[];
  unusedEntries: AllowEntry[];
}

/** Checks a policy has a threshold and a sane score (pure). */
export function checkPolicy(p: GatePolicy): void {
  if (p.severity === undefined && p.cvss === undefined) {
    throw new ScanError('PolicyInvalid', 'the scan gate needs a threshold', {
      hint: 'give --severity HIGH (blocks HIGH and CRITICAL), --cvss 7.0, or both',
    });
  }
  if (p.cvss !== undefined && !(p.cvss >= 0 && p.cvss <= 10)) {
    throw new ScanError('PolicyInvalid', `CVSS threshold ${p.cvss} is not between 0 and 10`, {
      hint: 'CVSS base scores run from 0.0 to 10.0; 7.0 is where HIGH starts',
    });
  }
}

/** The thresholds a finding crosses (pure). */
export function crossed(f: Finding, p: GatePolicy): BlockReason[] {
  const out: BlockReason[] = [];
  if (p.severity !== undefined && severityRank(f.severity) >= severityRank(p.severity)) {
    out.push('severity');
  }
  if (p.cvss !== undefined && f.cvss !== undefined && f.cvss >= p.cvss) out.push('cvss');
  return out;
}

const bySeverityThenScore = (a: Blocked, b: Blocked): number =>
  severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
  (b.finding.cvss ?? 0) - (a.finding.cvss ?? 0) ||
  a.finding.id.localeCompare(b.finding.id) ||
  a.finding.package.localeCompare(b.finding.package);

export function evaluateGate(
  findings: readonly Finding[],
  policy: GatePolicy,
  allowlist: readonly AllowEntry[],
  now: Date,
): GateResult {
  checkPolicy(policy);
  const used = new Set<AllowEntry>();
  const r: GateResult = {
    passed: true,
    blocked: [],
    allowed: [],
    ignoredUnfixed: [],
    below: 0,
    total: findings.length,
    expiredEntries: allowlist.filter((e) => isExpired(e, now)),
    unusedEntries: [],
  };
  for (const f of findings) {
    const reasons = crossed(f, policy);
    if (reasons.length === 0) {
      r.below++;
      continue;
    }
    if (policy.ignoreUnfixed && !f.fixAvailable) {
      r.ignoredUnfixed.push(f);
      continue;
    }
    const matching = allowlist.filter((e) => entryMatches(e, f));
    for (const e of matching) used.add(e);
    const live = matching.find((e) => !isExpired(e, now));
    if (live !== undefined) {
      r.allowed.push({ finding: f, entry: live });
      continue;
    }
    const expired = matching[0];
    r.blocked.push({ finding: f, reasons, ...(expired ? { expiredEntry: expired } : {}) });
  }
  r.blocked.sort(bySeverityThenScore);
  r.unusedEntries = allowlist.filter((e) => !used.has(e) && !isExpired(e, now));
  r.passed = r.blocked.length === 0;
  return r;
}
