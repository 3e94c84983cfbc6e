/**
 * The scan gate's model: one `Finding` per (vulnerability, package, installed version), whatever
 * scanner produced the report, and the typed error every bad input turns into.
 *
 * Severities are Trivy's five (Grype's `Negligible` counts as LOW, its `Unknown` as UNKNOWN).
 * A finding's CVSS score is the highest base score of the newest CVSS version the report gives
 * for it, across sources (NVD, the distribution, GHSA): a gate errs on the side of blocking.
 */
import { SluiceError } from '../../errors.ts';

export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Scanner = 'trivy' | 'grype';

export interface Finding {
  /** CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, DSA-1234-1... as the scanner names it. */
  id: string;
  /** Other ids of the same vulnerability (Grype's related CVEs, Trivy's vendor ids). */
  aliases: string[];
  package: string;
  installed: string;
  /** The versions that fix it, comma-separated; empty when there is no fix. */
  fixed: string;
  /** True when a fixed version exists (Trivy `Status: fixed`, Grype `fix.state: fixed`). */
  fixAvailable: boolean;
  severity: Severity;
  /** Highest base score of the newest CVSS version given; undefined when none is. */
  cvss: number | undefined;
  /** Where the scanner found the package (Trivy's target, Grype's first location). */
  target: string;
}

/** Codes of the scan gate's errors (bad input, never "blocked": that is a result). */
export type ScanErrorCode = 'ReportUnreadable' | 'AllowlistInvalid' | 'PolicyInvalid';

export class ScanError extends SluiceError {
  constructor(
    code: ScanErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    // Bad input is a usage error (2), distinct from a gate that blocked (1).
    super(code, message, { ...options, exitCode: 2 });
    this.name = 'ScanError';
  }
}

/** Rank of a severity: UNKNOWN 0 ... CRITICAL 4. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** A severity as scanners and people write it (`high`, `High`, `Negligible`); undefined if none. */
export function parseSeverity(text: string): Severity | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === 'NEGLIGIBLE') return 'LOW';
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : undefined;
}

export interface ScoreCandidate {
  /** CVSS version, `2.0`, `3.1`, `4.0`. */
  version: number;
  score: number;
}

/** The highest score among the newest CVSS version present (pure). */
export function pickScore(candidates: readonly ScoreCandidate[]): number | undefined {
  const valid = candidates.filter((c) => Number.isFinite(c.score) && c.score > 0);
  if (valid.length === 0) return undefined;
  const newest = Math.max(...valid.map((c) => Math.floor(c.version)));
  return Math.max(...valid.filter((c) => Math.floor(c.version) === newest).map((c) => c.score));
}

/** Drops repeats of the same (id, package, installed, target): scanners list some twice. */
export function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.id}\0${f.package}\0${f.installed}\0${f.target}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
