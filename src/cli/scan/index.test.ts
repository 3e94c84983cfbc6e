/** `sluice scan-gate` on the fixtures: exit status, table and summary file. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { policyFrom, scanGateCommand } from './index.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../delivery/scan/testdata/${name}`, import.meta.url));

async function run(...args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await scanGateCommand()
      .exitOverride()
      .parseAsync(['node', 'scan-gate', ...args]);
    return { out, exitCode: typeof process.exitCode === 'number' ? process.exitCode : undefined };
  } finally {
    spy.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('sluice scan-gate', () => {
  it('blocks, prints the table and writes the summary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scan-gate-'));
    try {
      const summary = join(dir, 'summary.json');
      const r = await run(
        '--report',
        fixture('trivy-debian.json'),
        '--severity',
        'high',
        '--ignore-unfixed',
        '--allowlist',
        fixture('allowlist.yaml'),
        '--summary-file',
        summary,
      );
      expect(r.exitCode).toBe(1);
      expect(r.out).toMatch(/CVE-2023-4911\s+libc6\s+2\.36-9/);
      expect(r.out).toContain('scan gate BLOCKED');
      expect(JSON.parse(await readFile(summary, 'utf8'))).toMatchObject({
        passed: false,
        blockedIds: ['CVE-2023-4911'],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes a clean report with exit 0 and prints JSON with -o json', async () => {
    const r = await run('--report', fixture('trivy-clean.json'), '--cvss', '7.0', '-o', 'json');
    expect(r.exitCode).toBeUndefined();
    expect(JSON.parse(r.out)).toMatchObject({ passed: true, total: 0, threshold: { cvss: 7 } });
  });

  it.each([
    [{ severity: 'severe' }, /--severity severe is not a severity/],
    [{ cvss: 'seven' }, /not between 0 and 10/],
  ])('refuses bad flags %j', async (flags, message) => {
    const args = Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
    await expect(run('--report', fixture('trivy-clean.json'), ...args)).rejects.toThrow(message);
  });

  it('refuses a report it cannot read, naming it', async () => {
    await expect(run('--report', '/nonexistent/r.json', '--severity', 'HIGH')).rejects.toThrow(
      'cannot read the report /nonexistent/r.json (ENOENT)',
    );
  });

  it('policyFrom reads the flags', () => {
    expect(policyFrom({ severity: 'Critical', cvss: '9.1', ignoreUnfixed: true })).toEqual({
      severity: 'CRITICAL',
      cvss: 9.1,
      ignoreUnfixed: true,
    });
  });
});
