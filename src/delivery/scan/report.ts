/**
 * Reading a scanner's JSON report into findings: Trivy (`trivy image -f json`, SchemaVersion 2)
 * or Grype (`grype -o json`), told apart by their top-level keys (`Results` / `matches`).
 *
 * Only the fields the gate needs are read; anything else in the report is ignored, so newer
 * scanner versions that add fields keep working. A report that is neither is refused, naming
 * the file.
 *
 * @example
 * const { scanner, findings } = parseReport(await readFile('trivy.json', 'utf8'), 'trivy.json');
 */
import {
  dedupe,
  parseSeverity,
  pickScore,
  ScanError,
  type Finding,
  type Scanner,
  type ScoreCandidate,
} from './findings.ts';

interface TrivyCvss {
  V2Score?: number;
  V3Score?: number;
  V40Score?: number;
}

interface TrivyVulnerability {
  VulnerabilityID?: string;
  VendorIDs?: string[];
  PkgName?: string;
  InstalledVersion?: string;
  FixedVersion?: string;
  Status?: string;
  Severity?: string;
  CVSS?: Record<string, TrivyCvss>;
}

interface TrivyReport {
  Results?: Array<{ Target?: string; Vulnerabilities?: TrivyVulnerability[] | null }> | null;
}

interface GrypeMatch {
  vulnerability?: {
    id?: string;
    severity?: string;
    cvss?: Array<{ version?: string; metrics?: { baseScore?: number } }> | null;
    fix?: { versions?: string[] | null; state?: string };
  };
  relatedVulnerabilities?: Array<{ id?: string }> | null;
  artifact?: { name?: string; version?: string; locations?: Array<{ path?: string }> | null };
}

interface GrypeReport {
  matches?: GrypeMatch[] | null;
}

export interface ParsedReport {
  scanner: Scanner;
  findings: Finding[];
}

function trivyScore(cvss: Record<string, TrivyCvss> | undefined): number | undefined {
  const candidates: ScoreCandidate[] = [];
  for (const c of Object.values(cvss ?? {})) {
    if (c.V40Score !== undefined) candidates.push({ version: 4, score: c.V40Score });
    if (c.V3Score !== undefined) candidates.push({ version: 3, score: c.V3Score });
    if (c.V2Score !== undefined) candidates.push({ version: 2, score: c.V2Score });
  }
  return pickScore(candidates);
}

function fromTrivy(report: TrivyReport): Finding[] {
  const out: Finding[] = [];
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      const fixed = v.FixedVersion ?? '';
      out.push({
        id: v.VulnerabilityID ?? '',
        aliases: v.VendorIDs ?? [],
        package: v.PkgName ?? '',
        installed: v.InstalledVersion ?? '',
        fixed,
        // Older reports have no Status: a fixed version then says it all.
        fixAvailable: v.Status === undefined ? fixed !== '' : v.Status === 'fixed',
        severity: parseSeverity(v.Severity ?? '') ?? 'UNKNOWN',
        cvss: trivyScore(v.CVSS),
        target: result.Target ?? '',
      });
    }
  }
  return out;
}

type GrypeVulnerability = NonNullable<GrypeMatch['vulnerability']>;

const grypeScore = (cvss: GrypeVulnerability['cvss']): number | undefined =>
  pickScore(
    (cvss ?? []).map((c): ScoreCandidate => ({
      version: Number.parseFloat(c.version ?? '0'),
      score: c.metrics?.baseScore ?? 0,
    })),
  );

const grypeAliases = (m: GrypeMatch): string[] =>
  (m.relatedVulnerabilities ?? []).flatMap((r) => (r.id ? [r.id] : []));

function grypeFinding(m: GrypeMatch): Finding {
  const v: GrypeVulnerability = m.vulnerability ?? {};
  const versions = v.fix?.versions ?? [];
  const artifact = m.artifact ?? {};
  return {
    id: v.id ?? '',
    aliases: grypeAliases(m),
    package: artifact.name ?? '',
    installed: artifact.version ?? '',
    fixed: versions.join(', '),
    fixAvailable: v.fix?.state === 'fixed' && versions.length > 0,
    severity: parseSeverity(v.severity ?? '') ?? 'UNKNOWN',
    cvss: grypeScore(v.cvss),
    target: artifact.locations?.[0]?.path ?? '',
  };
}

const fromGrype = (report: GrypeReport): Finding[] => (report.matches ?? []).map(grypeFinding);

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Which scanner wrote this parsed JSON, or undefined (pure). */
export function detectScanner(doc: unknown): Scanner | undefined {
  if (!isObject(doc)) return undefined;
  if ('Results' in doc || ('SchemaVersion' in doc && 'ArtifactName' in doc)) return 'trivy';
  if ('matches' in doc) return 'grype';
  return undefined;
}

/** Parses a Trivy or Grype JSON report; `file` names it in errors. */
export function parseReport(text: string, file: string): ParsedReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ScanError('ReportUnreadable', `report ${file} is not JSON`, {
      cause,
      hint: 'write the report with `trivy image -f json -o FILE` or `grype IMAGE -o json --file FILE`',
    });
  }
  const scanner = detectScanner(doc);
  if (scanner === undefined) {
    throw new ScanError(
      'ReportUnreadable',
      `report ${file} is neither a Trivy JSON report (no "Results") nor a Grype JSON report (no "matches")`,
      { hint: 'table, SARIF and CycloneDX outputs are not read: ask the scanner for JSON' },
    );
  }
  const findings =
    scanner === 'trivy' ? fromTrivy(doc as TrivyReport) : fromGrype(doc as GrypeReport);
  const nameless = findings.find((f) => f.id === '');
  if (nameless !== undefined) {
    throw new ScanError(
      'ReportUnreadable',
      `report ${file}: a ${scanner} finding for package ${nameless.package || '(unnamed)'} has no vulnerability id`,
      { hint: 'the report may be truncated or edited by hand' },
    );
  }
  return { scanner, findings: dedupe(findings) };
}
