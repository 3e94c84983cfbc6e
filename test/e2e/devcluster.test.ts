/**
 * `sluice dev-cluster` as a person uses it: a second cluster beside the run's one, `up` twice,
 * a taken port, and `down` leaving no process behind. Runs the real CLI.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../../src/devcluster/process.ts';
import type { ClusterState } from '../../src/devcluster/state.ts';
import { clusterPaths } from '../../src/devcluster/paths.ts';
import { execFile } from '../../src/util/exec.ts';
import { Kube } from '../../src/kube/api.ts';
import { kubeconfigPath } from './harness.ts';

const sluice = (...args: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', ...args], { timeoutMs: 120_000 });

describe('sluice dev-cluster', () => {
  it('runs a second cluster side by side, refuses a taken port, and stops without leftovers', async () => {
    const name = `side-${process.pid}`;
    const runKube = await Kube.connect(kubeconfigPath());
    const runServer = new URL(runKube.client.server);
    await runKube.close();
    try {
      // The run's own cluster holds this port: a clear error, nothing left running.
      const taken = await sluice('dev-cluster', 'up', '--name', name, '--api-port', runServer.port);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`port ${runServer.port} on 127.0.0.1 is already in use`);
      expect(taken.stdout).toBe('');

      const first = await sluice(
        'dev-cluster',
        'up',
        '--name',
        name,
        '--nodes',
        '1',
        '--real-nodes',
        '0',
      );
      expect(first.code).toBe(0);
      const lines = first.stdout.trim().split('\n');
      expect(lines.at(-1)).toBe(`export KUBECONFIG=${clusterPaths(name).kubeconfig}`);
      expect(first.stderr).toContain('starting cluster');

      const state = JSON.parse(await readFile(clusterPaths(name).state, 'utf8')) as ClusterState;
      expect(state.server).not.toBe(runServer.origin);
      const k = await Kube.connect(clusterPaths(name).kubeconfig);
      expect((await k.list('v1', 'Node')).items).toHaveLength(1);
      await k.close();

      // `up` on a running cluster only prints the export line again.
      const again = await sluice('dev-cluster', 'up', '--name', name);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe(`export KUBECONFIG=${clusterPaths(name).kubeconfig}`);
      expect(again.stderr).toContain('already running');

      const status = await sluice('dev-cluster', 'status', '--name', name, '-o', 'json');
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as {
        running: boolean;
        components: Array<{ name: string }>;
      };
      expect(parsed.running).toBe(true);
      expect(parsed.components.map((c) => c.name)).toEqual([
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kwok',
        'registry',
      ]);

      const stopped = await sluice('dev-cluster', 'down', '--name', name);
      expect(stopped.code).toBe(0);
      for (const c of state.components) expect(await isRunning(c.pid, c.binary)).toBe(false);
      const gone = await sluice('dev-cluster', 'status', '--name', name);
      expect(gone.code).toBe(3);
      expect(gone.stderr).toContain(`dev cluster "${name}" is not running`);
    } finally {
      await sluice('dev-cluster', 'down', '--name', name);
    }
  });

  it('rejects a bad cluster name with a clear error', async () => {
    const r = await sluice('dev-cluster', 'up', '--name', 'Bad_Name');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must be 1-40 lowercase letters');
  });
});
