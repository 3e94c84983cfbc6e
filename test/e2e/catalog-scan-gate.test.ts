/**
 * catalog/scan-gate on the real node, in Sluice's image: a Trivy report over the threshold
 * blocks and the log shows the table of what blocked and the expired allowlist entry; the same
 * report passes at CRITICAL with the allowlist and unfixed findings ignored, and reports a
 * summary; a Grype report is read too.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { kube, useNamespace } from './harness.ts';
import {
  applyCatalogTask,
  runCatalogTask,
  sluiceImageRef,
  startTaskRuns,
  stepLog,
  timing,
} from './catalog-harness.ts';

const ns = useNamespace('cat-scan');
const fixture = (name: string): Promise<string> =>
  readFile(new URL(`../../src/delivery/scan/testdata/${name}`, import.meta.url), 'utf8');

let image = '';
beforeAll(async () => {
  image = await sluiceImageRef();
}, 600_000);

async function reports(): Promise<void> {
  const k = await kube();
  await k.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'reports', namespace: ns() },
    data: {
      'trivy.json': await fixture('trivy-debian.json'),
      'grype.json': await fixture('grype-debian.json'),
      'allowlist.yaml': await fixture('allowlist.yaml'),
    },
  });
}

const gate = (name: string, params: Record<string, string>) =>
  kube().then((k) =>
    runCatalogTask(k, ns(), name, 'scan-gate', {
      params: [
        { name: 'sluiceImage', value: image },
        ...Object.entries(params).map(([n, value]) => ({ name: n, value })),
      ],
      workspaces: [{ name: 'source', configMap: { name: 'reports' } }],
      follow: 'gate',
    }),
  );

describe('catalog/scan-gate', () => {
  it('blocks above the threshold with a table, passes under it with the allowlist', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await applyCatalogTask(k, ns(), 'scan-gate');
    await reports();
    const [blocked, passed, grype] = await Promise.all([
      gate('blocked', { report: 'trivy.json', allowlist: 'allowlist.yaml', ignoreUnfixed: 'true' }),
      gate('passed', {
        report: 'trivy.json',
        severity: 'CRITICAL',
        allowlist: 'allowlist.yaml',
        ignoreUnfixed: 'true',
      }),
      gate('grype', { report: 'grype.json', severity: '', cvss: '9.0' }),
    ]);

    expect(blocked.ok).toBe(false);
    expect(blocked.message).toBe('step "gate" exited with code 1');
    const log = await stepLog(k, ns(), blocked, 'gate');
    expect(log).toMatch(/ID\s+PACKAGE\s+INSTALLED\s+FIXED\s+SEVERITY\s+CVSS\s+WHY/);
    expect(log).toMatch(/CVE-2023-4911\s+libc6\s+2\.36-9\s+2\.36-9\+deb12u3\s+HIGH\s+7\.8/);
    expect(log).toContain('Expired allowlist entries');
    expect(log).toContain('scan gate BLOCKED (severity >= HIGH, unfixed ignored)');

    expect(passed.ok, passed.message).toBe(true);
    expect(JSON.parse(passed.results['summary'] ?? '{}')).toMatchObject({
      passed: true,
      scanner: 'trivy',
      allowed: 1,
      ignoredUnfixed: 1,
      expiredEntries: ['CVE-2023-4911'],
    });

    expect(grype.ok).toBe(false);
    expect(await stepLog(k, ns(), grype, 'gate')).toMatch(
      /CVE-2023-45853\s+zlib1g\s+1:1\.2\.13\.dfsg-1\s+\(none\)\s+CRITICAL\s+9\.8\s+CVSS >= 9\.0/,
    );
    timing('scan-gate (passed)', passed);
  });
});
