/** Trivy and Grype JSON reports read into the same findings (fixtures in testdata/). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScanError } from './findings.ts';
import { detectScanner, parseReport } from './report.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('parseReport', () => {
  it('reads a Trivy report: every result, vendor ids as aliases, the newest CVSS version', () => {
    const { scanner, findings } = parseReport(fixture('trivy-debian.json'), 'trivy.json');
    expect(scanner).toBe('trivy');
    expect(findings).toHaveLength(8);
    expect(findings[0]).toEqual({
      id: 'CVE-2023-4911',
      aliases: ['DSA-5514-1'],
      package: 'libc6',
      installed: '2.36-9',
      fixed: '2.36-9+deb12u3',
      fixAvailable: true,
      severity: 'HIGH',
      cvss: 7.8,
      target: 'localhost:5000/demo/app:3f2a9c1 (debian 12.5)',
    });
    const byId = (id: string) => findings.find((f) => f.id === id);
    // will_not_fix: no fix; a CVSS v4 score wins over v3 ones.
    expect(byId('CVE-2023-45853')).toMatchObject({ fixAvailable: false, fixed: '' });
    expect(byId('CVE-2024-21538')).toMatchObject({ cvss: 8.7, target: 'app/package-lock.json' });
    // Highest score across sources (nvd 5.5, redhat 7.4).
    expect(byId('CVE-2022-0563')?.cvss).toBe(7.4);
  });

  it('reads a Grype report: Negligible is LOW, related CVEs are aliases, fix state decides', () => {
    const { scanner, findings } = parseReport(fixture('grype-debian.json'), 'grype.json');
    expect(scanner).toBe('grype');
    expect(findings.map((f) => [f.id, f.severity, f.fixAvailable, f.cvss])).toEqual([
      ['CVE-2023-4911', 'HIGH', true, 7.8],
      ['CVE-2024-45490', 'CRITICAL', true, 9.8],
      ['CVE-2023-45853', 'CRITICAL', false, 9.8],
      ['CVE-2023-50495', 'MEDIUM', false, 6.5],
      ['CVE-2011-3374', 'LOW', false, 3.7],
      ['GHSA-3xgq-45jj-v275', 'HIGH', true, 8.7],
    ]);
    expect(findings[5]).toMatchObject({
      aliases: ['CVE-2024-21538'],
      package: 'cross-spawn',
      fixed: '7.0.5',
      target: '/app/node_modules/cross-spawn/package.json',
    });
  });

  it('reads a clean report as no findings', () => {
    expect(parseReport(fixture('trivy-clean.json'), 'clean.json').findings).toEqual([]);
    expect(parseReport('{"matches": []}', 'g.json')).toEqual({ scanner: 'grype', findings: [] });
  });

  it.each([
    ['not JSON', 'Trivy table output\n', /report r.json is not JSON/],
    ['another format', '{"bomFormat": "CycloneDX"}', /neither a Trivy JSON report/],
    ['a finding without id', '{"matches":[{"artifact":{"name":"zlib"}}]}', /package zlib has no/],
  ])('refuses %s, naming the file', (_, text, message) => {
    const err = (() => {
      try {
        parseReport(text, 'r.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe('ReportUnreadable');
    expect((err as ScanError).message).toMatch(message);
  });

  it.each([
    [{ SchemaVersion: 2, ArtifactName: 'x' }, 'trivy'],
    [{ Results: [] }, 'trivy'],
    [{ matches: null }, 'grype'],
    [[], undefined],
    [{ bomFormat: 'CycloneDX' }, undefined],
  ])('detects %j as %s', (doc, scanner) => {
    expect(detectScanner(doc)).toBe(scanner);
  });
});
