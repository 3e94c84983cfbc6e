/**
 * `sluice scan-gate --report FILE`: reads a Trivy or Grype JSON report (src/delivery/scan) and
 * fails when a finding is at or above the threshold and not allowed by an unexpired allowlist
 * entry. Prints the table of what blocked, expired allowlist entries and a summary line.
 * Exit 0 passed, 1 blocked, 2 bad input (report, allowlist or flags). No scanner runs here: the
 * report comes from one run elsewhere (or in an earlier step of the Task).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseAllowlist, type AllowEntry } from '../../delivery/scan/allowlist.ts';
import { parseSeverity, ScanError, SEVERITIES } from '../../delivery/scan/findings.ts';
import { evaluateGate, type GatePolicy } from '../../delivery/scan/gate.ts';
import { parseReport } from '../../delivery/scan/report.ts';
import { formatGate, gateSummary } from '../../delivery/scan/table.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';

interface ScanGateOptions {
  report: string;
  severity?: string;
  cvss?: string;
  allowlist?: string;
  ignoreUnfixed?: boolean;
  summaryFile?: string;
  output: OutputFormat;
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ScanError(
      what === 'report' ? 'ReportUnreadable' : 'AllowlistInvalid',
      `cannot read the ${what} ${file} (${code})`,
      { cause, hint: `check the path; in a Task, the ${what} is read from a workspace` },
    );
  }
}

/** The policy from the flags (pure). */
export function policyFrom(
  o: Pick<ScanGateOptions, 'severity' | 'cvss' | 'ignoreUnfixed'>,
): GatePolicy {
  const policy: GatePolicy = { ignoreUnfixed: o.ignoreUnfixed === true };
  if (o.severity !== undefined && o.severity !== '') {
    const severity = parseSeverity(o.severity);
    if (severity === undefined) {
      throw new ScanError('PolicyInvalid', `--severity ${o.severity} is not a severity`, {
        hint: `one of ${SEVERITIES.join(', ')}`,
      });
    }
    policy.severity = severity;
  }
  if (o.cvss !== undefined && o.cvss !== '') {
    const score = /^\d+(\.\d+)?$/.test(o.cvss) ? Number(o.cvss) : Number.NaN;
    policy.cvss = score;
  }
  return policy;
}

async function scanGate(o: ScanGateOptions): Promise<void> {
  const policy = policyFrom(o);
  const { scanner, findings } = parseReport(await readInput(o.report, 'report'), o.report);
  const allow: AllowEntry[] =
    o.allowlist !== undefined && o.allowlist !== ''
      ? parseAllowlist(await readInput(o.allowlist, 'allowlist'), o.allowlist)
      : [];
  const result = evaluateGate(findings, policy, allow, new Date());
  const summary = gateSummary(result, policy, scanner);
  if (o.summaryFile !== undefined) await writeFile(o.summaryFile, JSON.stringify(summary));
  printData(o.output, { ...summary, detail: result }, () => formatGate(result, policy, scanner));
  if (!result.passed) process.exitCode = 1;
}

export function scanGateCommand(): Command {
  return new Command('scan-gate')
    .description(
      'fail when a Trivy or Grype JSON report has findings at or above a severity or CVSS threshold that no unexpired allowlist entry allows',
    )
    .requiredOption('--report <file>', 'the scanner report (Trivy `-f json`, Grype `-o json`)')
    .option('--severity <level>', `block at or above this severity (${SEVERITIES.join(', ')})`)
    .option('--cvss <score>', 'block at or above this CVSS base score (0-10)')
    .option(
      '--allowlist <file>',
      'accepted vulnerabilities, each with an expiry date (YAML `allow:` list or .trivyignore with exp:)',
    )
    .option('--ignore-unfixed', 'do not block on findings that have no fixed version yet')
    .option('--summary-file <file>', 'also write the summary as one line of JSON here')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Exit status: 0 passed, 1 blocked, 2 bad report, allowlist or flags.

Examples:
  trivy image -f json -o report.json registry.example/app:3f2a9c1
  sluice scan-gate --report report.json --severity HIGH --ignore-unfixed
  sluice scan-gate --report grype.json --cvss 7.0 --allowlist allowlist.yaml -o json

Allowlist (YAML):
  allow:
    - id: CVE-2023-4911
      expires: 2027-01-31          # from this day on it allows nothing and is reported
      package: libc6               # optional
      reason: no setuid binaries in the image`,
    )
    .action(scanGate);
}
