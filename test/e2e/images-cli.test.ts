/**
 * `sluice image repository|policy|update` as a person runs it (bin/sluice.js) against the dev
 * cluster, with the controllers running: list and get as tables and JSON, reconcile that waits
 * for the controller and says the result, and the exit codes for a missing object and a
 * controller that does not answer.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ImageRepository } from '../../src/api/image.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { IMAGE_API, pushTag, registry, startImageAutomation } from './images-harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

const ns = useNamespace('imgcli');

const sluice = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', 'image', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    {
      timeoutMs: 90_000,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );

describe('sluice image', () => {
  it('lists and gets repositories and policies, and reconciles on request', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = `e2e-${randomBytes(4).toString('hex')}/web`;
    await pushTag(reg, repo, '1.0.0');
    await startImageAutomation(k, ns());
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'ImageRepository',
      metadata: { name: 'web', namespace: ns() },
      spec: { image: `${reg}/${repo}`, interval: '1h', insecure: true },
    });
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'ImagePolicy',
      metadata: { name: 'web', namespace: ns() },
      spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '1.x' } } },
    });
    await eventually('selected', async () => {
      const r = await sluice('policy', 'list', '-o', 'json');
      const items = JSON.parse(r.stdout) as Array<{ status?: { latestRef?: { tag: string } } }>;
      return items[0]?.status?.latestRef?.tag === '1.0.0' ? true : undefined;
    });
    const table = await sluice('policy', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+IMAGE\s+TAG\s+READY\s+MESSAGE$/);
    expect(table.stdout).toMatch(
      new RegExp(
        `^web\\s+${reg.replace(/\./g, '\\.')}/${repo}\\s+1\\.0\\.0\\s+True\\s+Latest image tag`,
        'm',
      ),
    );
    const get = await sluice('repository', 'get', 'web');
    expect(get.stdout).toMatch(/Tags:\s+1\n/);
    expect(get.stdout).toMatch(/Latest tags:\s+1\.0\.0/);
    expect(get.stdout).toMatch(/Ready=True\s+Succeeded\s+successful scan: found 1 tags/);
    const yaml = await sluice('repository', 'get', 'web', '-o', 'yaml');
    expect(yaml.stdout).toContain(`canonicalImageName: ${reg}/${repo}`);
    expect(yaml.stdout).not.toContain('managedFields');

    // A new tag is seen at once on request, not after the 1h interval.
    await pushTag(reg, repo, '1.1.0');
    const rec = await sluice('repository', 'reconcile', 'web');
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toBe(
      `ImageRepository ${ns()}/web: Succeeded: successful scan: found 2 tags\n`,
    );
    const r = await k.get<ImageRepository>(IMAGE_API, 'ImageRepository', ns(), 'web');
    expect(r?.status?.lastHandledReconcileAt).toBe(
      r?.metadata.annotations?.['sluice.dev/requestedAt'],
    );
    await eventually('1.1.0 selected', async () => {
      const p = await sluice('policy', 'get', 'web', '-o', 'json');
      return (JSON.parse(p.stdout) as { status?: { latestRef?: { tag: string } } }).status
        ?.latestRef?.tag === '1.1.0'
        ? true
        : undefined;
    });
  });

  it('exit 3 for a missing object, exit 4 when no controller handles the request', async () => {
    const k = await kube();
    await ensureCrds(k);
    const missing = await sluice('update', 'get', 'nope');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/ImageUpdateAutomation .*\/nope not found/);
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'ImageRepository',
      metadata: { name: 'idle', namespace: ns() },
      spec: { image: 'localhost:5000/idle', interval: '1h' },
    });
    const idle = await sluice('repository', 'reconcile', 'idle', '--timeout', '2s');
    expect(idle.code, idle.stdout + idle.stderr).toBe(4);
    expect(idle.stderr).toMatch(/not reconciled within 2s[\s\S]*is `sluice controller` running/);
    const empty = await sluice('update', 'list');
    expect(empty.stdout).toBe(`no ImageUpdateAutomations in namespace ${ns()}\n`);
  });
});
