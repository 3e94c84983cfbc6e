/** `sluice policy apply` and `sluice policy test` on fixture folders: tables, JSON, exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SluiceError } from '../../errors.ts';
import { policyCommand } from './index.ts';
import { runApply } from './apply.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (p: string): string => fileURLToPath(new URL(`./testdata/${p}`, import.meta.url));

async function run(...args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const cmd = policyCommand().exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
    await cmd.parseAsync(['node', 'policy', ...args]);
    return { out, exitCode: typeof process.exitCode === 'number' ? process.exitCode : undefined };
  } finally {
    spy.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('sluice policy apply', () => {
  it('prints the table and exits 1 on an Enforce failure (autogen under the rule name)', async () => {
    const r = await run(
      'apply',
      '-f',
      fixture('ok/policy.yaml'),
      '-r',
      fixture('ok/resources.yaml'),
    );
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(/RULE\s+RESOURCE\s+RESULT\s+MESSAGE/);
    expect(r.out).toMatch(
      /require-labels\/check-team\s+Pod\/unlabelled\s+fail\s+label 'team' is required on unlabelled \(at \/metadata\/labels\)/,
    );
    expect(r.out).toMatch(
      /require-labels\/check-team\s+Deployment\/web\s+fail\s+.*\/spec\/template\/metadata\/labels/,
    );
    expect(r.out).toMatch(
      /require-labels\/add-default\s+Pod\/labelled\s+skip\s+mutate rules are not supported/,
    );
    expect(r.out).not.toContain('ConfigMap/settings');
    expect(r.out).toContain('1 passed, 2 failed (2 enforce, 0 audit)');
  });

  it('lists not-matched rules with --show-skipped and prints JSON with -o json', async () => {
    const r = await run(
      'apply',
      fixture('ok/policy.yaml'),
      '-r',
      fixture('ok'),
      '--show-skipped',
      '-o',
      'json',
    );
    const data = JSON.parse(r.out) as {
      results: Array<{ resource: { name: string }; result: string; message: string }>;
    };
    expect(data.results.find((x) => x.resource.name === 'settings')).toMatchObject({
      result: 'skip',
      message: 'not matched by the rule',
    });
  });

  it('Audit failures are shown but exit 0, unless --audit-fail', async () => {
    const args = ['apply', '-f', fixture('audit/policy.yaml'), '-r', fixture('ok/resources.yaml')];
    const audit = await run(...args);
    expect(audit.exitCode).toBeUndefined();
    expect(audit.out).toMatch(/Pod\/unlabelled\s+fail \(audit\)/);
    expect((await run(...args, '--audit-fail')).exitCode).toBe(1);
  });

  it('reads who asks from --userinfo (subjects in match)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'policy-userinfo-'));
    try {
      await writeFile(
        join(dir, 'policy.yaml'),
        `apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: ci-only-tagged }
spec:
  validationFailureAction: Enforce
  rules:
    - name: ci-tags
      match:
        any:
          - resources: { kinds: [Pod] }
            subjects: [{ kind: ServiceAccount, name: deployer, namespace: ci }]
      validate: { pattern: { spec: { containers: [{ image: "!*:latest" }] } } }
`,
      );
      await writeFile(
        join(dir, 'pod.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: a, image: "x:latest" }] }\n',
      );
      await writeFile(
        join(dir, 'user.yaml'),
        'userInfo: { username: "system:serviceaccount:ci:deployer" }\n',
      );
      const args = [
        'apply',
        '-f',
        join(dir, 'policy.yaml'),
        '-r',
        join(dir, 'pod.yaml'),
        '-o',
        'json',
      ];
      const without = JSON.parse((await run(...args)).out) as {
        results: Array<{ result: string; message: string }>;
      };
      expect(without.results[0]).toMatchObject({
        result: 'skip',
        message: expect.stringContaining('user info') as unknown,
      });
      const withUser = await run(...args, '--userinfo', join(dir, 'user.yaml'));
      expect(withUser.exitCode).toBe(1);
      expect(
        (JSON.parse(withUser.out) as { results: Array<{ result: string }> }).results[0]?.result,
      ).toBe('fail');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes PolicyReports with --policy-report', async () => {
    const r = await run(
      'apply',
      '-f',
      fixture('ok/policy.yaml'),
      '-r',
      fixture('ok/resources.yaml'),
      '--policy-report',
      '-o',
      'json',
    );
    const report = JSON.parse(r.out) as {
      apiVersion: string;
      kind: string;
      summary: Record<string, number>;
    };
    expect(report).toMatchObject({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'ClusterPolicyReport',
    });
    expect(report.summary).toMatchObject({ pass: 1, fail: 2 });
  });

  it.each([
    [
      'bad/policy.yaml',
      /bad\/policy\.yaml: policy broken: rule bad-operator: .*memory: operator '>='/,
    ],
    ['not-yaml.yaml', /not-yaml\.yaml: not valid YAML/],
    ['missing.yaml', /missing\.yaml: cannot read/],
  ])('a bad input file (%s) is exit code 2, naming the file', async (file, message) => {
    // Broken YAML is written at run time (a fixture file would fail the repository's prettier).
    const dir = await mkdtemp(join(tmpdir(), 'policy-apply-'));
    await writeFile(
      join(dir, 'not-yaml.yaml'),
      'kind: Pod\nmetadata:\n  name: x\n   bad: indent\n',
    );
    const path = file === 'not-yaml.yaml' ? join(dir, file) : fixture(file);
    const err = await runApply([path], [fixture('ok/resources.yaml')], { operation: 'CREATE' })
      .catch((e: unknown) => e)
      .finally(() => rm(dir, { recursive: true, force: true }));
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).exitCode).toBe(2);
    expect((err as SluiceError).message).toMatch(message);
  });
});

describe('sluice policy test', () => {
  it('passes a kyverno-test.yaml (plural and singular resources, autogen- rule names, skips)', async () => {
    const r = await run('test', fixture('ok'));
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('PASSED: 1 tests, 5/5 results as expected, 0 mismatched');
  });

  it('exits 1 and shows the mismatch', async () => {
    const r = await run('test', fixture('mismatch'));
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(
      /check-team\s+Pod\/unlabelled\s+pass\s+fail\s+MISMATCH\s+label 'team' is required/,
    );
    expect(r.out).toContain('FAILED');
  });

  it('walks folders recursively and reports every test in JSON', async () => {
    const r = await run('test', fixture(''), '--fail-only', '-o', 'json');
    const data = JSON.parse(r.out) as { summary: { tests: number; failed: number } };
    expect(data.summary).toEqual({ tests: 2, checks: 6, passed: 5, failed: 1 });
    expect(r.exitCode).toBe(1);
  });

  it('a folder without tests is exit code 2', async () => {
    await expect(run('test', fixture('bad'))).rejects.toMatchObject({ exitCode: 2 });
  });

  it('node bin/sluice.js policy test policies/ passes on the shipped policies', () => {
    const r = spawnSync(process.execPath, ['bin/sluice.js', 'policy', 'test', 'policies/'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/PASSED: 6 tests/);
    expect(r.status).toBe(0);
  }, 60_000);
});
