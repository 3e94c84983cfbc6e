/** The allowlist's two formats, its refusals and how entries match findings. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryMatches, isExpired, parseAllowlist } from './allowlist.ts';
import type { Finding } from './findings.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'CVE-2024-1',
  aliases: [],
  package: 'zlib1g',
  installed: '1',
  fixed: '2',
  fixAvailable: true,
  severity: 'HIGH',
  cvss: 7.5,
  target: 't',
  ...over,
});

describe('parseAllowlist', () => {
  it('reads the YAML format', () => {
    const list = parseAllowlist(fixture('allowlist.yaml'), 'allow.yaml');
    expect(list.map((e) => [e.id, e.expiresText, e.package, e.where])).toEqual([
      ['CVE-2024-45490', '2099-01-01', 'libexpat1', 'entry 1'],
      ['CVE-2024-21538', '2099-01-01', undefined, 'entry 2'],
      ['CVE-2023-4911', '2024-06-30', undefined, 'entry 3'],
      ['CVE-2020-0001', '2099-01-01', undefined, 'entry 4'],
    ]);
    expect(list[0]?.reason).toBe('the app never parses XML');
    expect(list[0]?.expires.toISOString()).toBe('2099-01-01T00:00:00.000Z');
  });

  it("reads Trivy's .trivyignore format with exp: dates", () => {
    const list = parseAllowlist(fixture('trivyignore'), '.trivyignore');
    expect(list.map((e) => [e.id, e.expiresText, e.where])).toEqual([
      ['CVE-2024-45490', '2099-01-01', 'line 2'],
      ['CVE-2023-4911', '2024-06-30', 'line 3'],
    ]);
  });

  it.each([
    [
      'a YAML entry without expiry',
      'allow:\n  - id: CVE-2024-1\n',
      /entry 1: CVE-2024-1 has no expiry/,
    ],
    ['a .trivyignore line without exp:', '# x\nCVE-2024-1\n', /line 2: CVE-2024-1 has no expiry/],
    ['a date that does not exist', 'allow: [{id: CVE-2024-1, expires: 2025-02-30}]', /not a date/],
    ['a date in another format', 'CVE-2024-1 exp:01/02/2025', /"01\/02\/2025" is not a date/],
    [
      'something that is no id',
      'allow: [{id: "hello world", expires: 2025-01-01}]',
      /not a vulnerability id/,
    ],
    [
      'YAML that does not parse',
      'allow:\n  - id: CVE-2024-1\n    reason: a: b\n',
      /not valid YAML/,
    ],
    ['allow that is not a list', 'allow: CVE-2024-1', /"allow" must be a list/],
  ])('refuses %s, naming the file and the place', (_, text, message) => {
    expect(() => parseAllowlist(text, 'list.yaml')).toThrow(message);
    expect(() => parseAllowlist(text, 'list.yaml')).toThrow(/allowlist list\.yaml/);
  });

  it('reads an empty file as an empty list', () => {
    expect(parseAllowlist('', 'empty')).toEqual([]);
    expect(parseAllowlist('allow: []\n', 'empty.yaml')).toEqual([]);
  });
});

describe('entries', () => {
  const [entry] = parseAllowlist('allow: [{id: cve-2024-1, expires: 2026-03-01}]', 'a');
  if (entry === undefined) throw new Error('no entry');

  it.each([
    ['2026-02-28T23:59:59Z', false],
    ['2026-03-01T00:00:00Z', true],
    ['2027-01-01T00:00:00Z', true],
  ])('at %s expired=%s (expiry day 00:00 UTC)', (now, expired) => {
    expect(isExpired(entry, new Date(now))).toBe(expired);
  });

  it.each([
    [finding(), true],
    [finding({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2024-1'] }), true],
    [finding({ id: 'CVE-2024-2' }), false],
  ])('matches %j by id or alias, case-insensitively: %s', (f, matches) => {
    expect(entryMatches(entry, f)).toBe(matches);
  });

  it('matches only its package when it names one', () => {
    const [e] = parseAllowlist(
      'allow: [{id: CVE-2024-1, expires: 2099-01-01, package: libc6}]',
      'a',
    );
    expect(e && entryMatches(e, finding({ package: 'libc6' }))).toBe(true);
    expect(e && entryMatches(e, finding({ package: 'libc-bin' }))).toBe(false);
  });
});
