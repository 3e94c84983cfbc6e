/** The gate's decision as a table of policies over the Trivy and Grype fixtures. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllowlist } from './allowlist.ts';
import { ScanError } from './findings.ts';
import { crossed, evaluateGate, type GatePolicy } from './gate.ts';
import { parseReport } from './report.ts';
import { formatGate, gateSummary, summaryLine } from './table.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2026-12-01T12:00:00Z');
const trivy = parseReport(fixture('trivy-debian.json'), 'trivy.json').findings;
const grype = parseReport(fixture('grype-debian.json'), 'grype.json').findings;
const allow = parseAllowlist(fixture('allowlist.yaml'), 'allowlist.yaml');

const blockedIds = (r: ReturnType<typeof evaluateGate>) =>
  r.blocked.map((b) => `${b.finding.id}/${b.finding.package}`);

describe('evaluateGate', () => {
  it.each<[string, typeof trivy, GatePolicy, boolean, string[]]>([
    [
      'trivy, HIGH, no allowlist',
      trivy,
      { severity: 'HIGH' },
      false,
      [
        'CVE-2023-45853/zlib1g',
        'CVE-2024-45490/libexpat1',
        'CVE-2024-21538/cross-spawn',
        'CVE-2023-4911/libc-bin',
        'CVE-2023-4911/libc6',
      ],
    ],
    [
      'trivy, CRITICAL, unfixed ignored',
      trivy,
      { severity: 'CRITICAL', ignoreUnfixed: true },
      false,
      ['CVE-2024-45490/libexpat1'],
    ],
    [
      // LOW util-linux with a vendor score of 7.4 crosses a CVSS threshold.
      'trivy, CVSS 7.0',
      trivy,
      { cvss: 7.0 },
      false,
      [
        'CVE-2023-45853/zlib1g',
        'CVE-2024-45490/libexpat1',
        'CVE-2024-21538/cross-spawn',
        'CVE-2023-4911/libc-bin',
        'CVE-2023-4911/libc6',
        'CVE-2022-0563/util-linux',
      ],
    ],
    ['trivy, CVSS 9.9', trivy, { cvss: 9.9 }, true, []],
    [
      'grype, HIGH, unfixed ignored',
      grype,
      { severity: 'HIGH', ignoreUnfixed: true },
      false,
      ['CVE-2024-45490/libexpat1', 'GHSA-3xgq-45jj-v275/cross-spawn', 'CVE-2023-4911/libc6'],
    ],
    [
      'grype, MEDIUM or CVSS 6',
      grype,
      { severity: 'MEDIUM', cvss: 6 },
      false,
      [
        'CVE-2023-45853/zlib1g',
        'CVE-2024-45490/libexpat1',
        'GHSA-3xgq-45jj-v275/cross-spawn',
        'CVE-2023-4911/libc6',
        'CVE-2023-50495/libtinfo6',
      ],
    ],
  ])('%s', (_, findings, policy, passed, blocked) => {
    const r = evaluateGate(findings, policy, [], NOW);
    expect(r.passed).toBe(passed);
    expect(blockedIds(r)).toEqual(blocked);
  });

  it('allows listed findings until they expire, and reports expired and unused entries', () => {
    const r = evaluateGate(trivy, { severity: 'HIGH', ignoreUnfixed: true }, allow, NOW);
    expect(r.allowed.map((a) => a.finding.id)).toEqual(['CVE-2024-45490', 'CVE-2024-21538']);
    // CVE-2023-4911's entry expired on 2024-06-30: it blocks again, saying why.
    expect(blockedIds(r)).toEqual(['CVE-2023-4911/libc-bin', 'CVE-2023-4911/libc6']);
    expect(r.blocked[0]?.expiredEntry?.expiresText).toBe('2024-06-30');
    expect(r.expiredEntries.map((e) => e.id)).toEqual(['CVE-2023-4911']);
    expect(r.unusedEntries.map((e) => e.id)).toEqual(['CVE-2020-0001']);
    expect(r.ignoredUnfixed.map((f) => f.id)).toEqual(['CVE-2023-45853']);
  });

  it('matches Grype GHSA findings through their related CVE', () => {
    const r = evaluateGate(grype, { severity: 'HIGH', ignoreUnfixed: true }, allow, NOW);
    expect(r.allowed.map((a) => a.finding.id)).toEqual(['CVE-2024-45490', 'GHSA-3xgq-45jj-v275']);
    expect(blockedIds(r)).toEqual(['CVE-2023-4911/libc6']);
  });

  it('passes once the expired entry is renewed', () => {
    const renewed = parseAllowlist(
      fixture('allowlist.yaml').replace('2024-06-30', '2027-06-30'),
      'allowlist.yaml',
    );
    const r = evaluateGate(trivy, { severity: 'HIGH', ignoreUnfixed: true }, renewed, NOW);
    expect(r.passed).toBe(true);
    expect(r.expiredEntries).toEqual([]);
  });

  it.each<[GatePolicy, RegExp]>([
    [{}, /needs a threshold/],
    [{ cvss: 11 }, /not between 0 and 10/],
    [{ cvss: Number.NaN }, /not between 0 and 10/],
  ])('refuses policy %j', (policy, message) => {
    expect(() => evaluateGate(trivy, policy, [], NOW)).toThrow(ScanError);
    expect(() => evaluateGate(trivy, policy, [], NOW)).toThrow(message);
  });

  it('an unscored finding never crosses a CVSS threshold, an UNKNOWN severity only UNKNOWN', () => {
    const f = { ...trivy[0]!, cvss: undefined, severity: 'UNKNOWN' as const };
    expect(crossed(f, { cvss: 0 })).toEqual([]);
    expect(crossed(f, { severity: 'LOW' })).toEqual([]);
    expect(crossed(f, { severity: 'UNKNOWN' })).toEqual(['severity']);
  });
});

describe('what the gate prints', () => {
  const policy: GatePolicy = { severity: 'HIGH', ignoreUnfixed: true };
  const r = evaluateGate(trivy, policy, allow, NOW);

  it('a table of what blocked, the expired entry, and a summary line', () => {
    const text = formatGate(r, policy, 'trivy');
    expect(text).toContain('Blocked (severity >= HIGH, unfixed ignored):');
    expect(text).toMatch(/ID\s+PACKAGE\s+INSTALLED\s+FIXED\s+SEVERITY\s+CVSS\s+WHY\n/);
    expect(text).toMatch(
      /CVE-2023-4911\s+libc6\s+2\.36-9\s+2\.36-9\+deb12u3\s+HIGH\s+7\.8\s+severity >= HIGH, allowlist entry expired 2024-06-30/,
    );
    expect(text).toContain('Expired allowlist entries');
    expect(text).toContain('CVE-2020-0001 expires 2099-01-01 [entry 4]');
    expect(summaryLine(r, policy, 'trivy')).toBe(
      'scan gate BLOCKED (severity >= HIGH, unfixed ignored): 8 findings in the trivy report, 2 blocked, 2 allowed, 1 unfixed ignored, 3 below the threshold, 1 expired entry',
    );
  });

  it('the same as data', () => {
    expect(gateSummary(r, policy, 'trivy')).toEqual({
      passed: false,
      scanner: 'trivy',
      threshold: { severity: 'HIGH', ignoreUnfixed: true },
      total: 8,
      blocked: 2,
      allowed: 2,
      ignoredUnfixed: 1,
      expiredEntries: ['CVE-2023-4911'],
      blockedIds: ['CVE-2023-4911'],
    });
  });
});
