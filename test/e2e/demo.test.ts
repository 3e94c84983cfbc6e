/**
 * `npm run demo` on its own dev cluster: the three sample apps (plain YAML, a Kustomize base
 * with dev and prod overlays, a Helm chart with a migration hook) reach Synced/Healthy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { clusterPaths } from '../../src/devcluster/paths.ts';
import { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';

describe('sluice demo', () => {
  it('brings the sample apps to Synced/Healthy and says what to try next', async () => {
    const name = `demo-${process.pid}`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
    try {
      const r = await execFile(
        process.execPath,
        ['bin/sluice.js', 'demo', '--exit', '--cluster-name', name, '--dir', join(dir, 'repo')],
        { timeoutMs: 240_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('all 4 Applications are Synced and Healthy');
      expect(r.stdout).toContain('Try next:');
      expect(r.stdout).toContain('app history guestbook');
      const kube = await Kube.connect(clusterPaths(name).kubeconfig);
      try {
        const apps = await kube.list<Application>('sluice.dev/v1alpha1', 'Application', {
          namespace: 'sluice-system',
        });
        expect(
          apps.items
            .map((a) => `${a.metadata.name}:${a.status?.sync?.status}:${a.status?.health?.status}`)
            .sort(),
        ).toEqual([
          'guestbook:Synced:Healthy',
          'podinfo-dev:Synced:Healthy',
          'podinfo-prod:Synced:Healthy',
          'shop:Synced:Healthy',
        ]);
        const shop = apps.items.find((a) => a.metadata.name === 'shop');
        expect(shop?.status?.operationState?.syncResult?.resources[0]).toMatchObject({
          kind: 'Job',
          hook: 'PreSync',
          hookPhase: 'Succeeded',
        });
        const prod = await kube.get<{
          apiVersion: string;
          kind: string;
          metadata: object;
          spec: { replicas: number };
        }>('apps/v1', 'Deployment', 'podinfo-prod', 'podinfo');
        expect(prod?.spec.replicas).toBe(3);
      } finally {
        await kube.close();
      }
    } finally {
      await execFile(process.execPath, ['bin/sluice.js', 'dev-cluster', 'down', '--name', name]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
