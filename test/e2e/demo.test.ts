/**
 * `npm run demo` on its own dev cluster, twice (issue 8, item 10): the four sample Applications
 * (plain YAML, a Kustomize base with dev and prod overlays, a Helm chart with a migration hook)
 * reach Synced/Healthy; the steps it prints work when pasted into a shell in another directory,
 * on the first run and on the second (which finds the first run's commits and its rollback);
 * Ctrl-C stops the controller, leaves the cluster running and says how to remove it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { clusterPaths } from '../../src/devcluster/paths.ts';
import { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  interrupt: () => void;
}

function startDemo(name: string, dir: string): Run {
  const child = spawn(
    process.execPath,
    ['bin/sluice.js', 'demo', '--cluster-name', name, '--dir', dir, '--timeout', '300'],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    stdout: () => out,
    stderr: () => err,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    interrupt: () => child.kill('SIGINT'),
  };
}

/** The printed steps as a script: every indented line of "Try next" that is not a comment. */
function script(stdout: string): string {
  const block = stdout.slice(stdout.indexOf('Try next'), stdout.indexOf('The controller keeps'));
  const lines = block
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('  ') && !l.trim().startsWith('#'));
  return ['set -euo pipefail', ...lines.map((l) => l.trim())].join('\n') + '\n';
}

/** Runs one demo until it waits for Ctrl-C, then its printed steps from `cwd`, then Ctrl-C. */
async function runOnce(
  name: string,
  repo: string,
  cwd: string,
): Promise<{ demo: Run; steps: string }> {
  const demo = startDemo(name, repo);
  let exited: number | null | undefined;
  void demo.exited.then((code) => (exited = code));
  const deadline = Date.now() + 300_000;
  while (!demo.stdout().includes('The controller keeps running')) {
    if (exited !== undefined) throw new Error(`demo exited ${String(exited)}:\n${demo.stderr()}`);
    if (Date.now() > deadline) throw new Error(`demo did not converge:\n${demo.stderr()}`);
    await sleep(500);
  }
  const file = join(cwd, 'steps.sh');
  await writeFile(file, script(demo.stdout()));
  // A shell elsewhere, whose PATH has no Node 24 and no project binaries.
  const r = await execFile('bash', [file], {
    cwd,
    timeoutMs: 240_000,
    env: { HOME: process.env['HOME'] ?? '/root', PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
  expect(r.code, `${r.stdout}\n${r.stderr}\n--- script:\n${script(demo.stdout())}`).toBe(0);
  demo.interrupt();
  expect(await demo.exited).toBe(0);
  return { demo, steps: r.stdout };
}

const deployments = (steps: string): string[] =>
  [...steps.matchAll(/^guestbook-ui\s+(\d+\/\d+)/gm)].map((m) => m[1] ?? '');

describe('sluice demo', () => {
  it('converges, its printed steps work from anywhere, twice; Ctrl-C says the cluster stays', async () => {
    const name = `demo-${process.pid}`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
    const repo = join(dir, 'repo');
    try {
      const first = await runOnce(name, repo, dir);
      expect(first.demo.stderr()).toContain('all 5 Applications are Synced and Healthy');
      // Step 1 shows 3 replicas; step 2 scales to 9 and the events show it healed; the rollback
      // brings back 2.
      expect([deployments(first.steps)[0], deployments(first.steps).at(-1)]).toEqual([
        '3/3',
        '2/2',
      ]);
      expect(first.steps).toMatch(/Scaled up replica set guestbook-ui-\S+ from 3 to 9/);
      expect(first.steps).toMatch(/Scaled down replica set guestbook-ui-\S+ from 9 to 3/);
      // Step 4: the hello app really serves on the real node's NodePort, and exports metrics
      // (two replicas: the one asked for /metrics may not be the one that answered /).
      expect(first.steps).toContain('"version":"v1"');
      expect(first.steps).toMatch(/^http_requests_total\{code="200",path="\/"\} \d+$/m);
      expect(first.demo.stdout()).toContain(`dev-cluster down --name ${name}`);
      expect(first.demo.stdout()).toContain(`The dev cluster "${name}" keeps running`);

      const kube = await Kube.connect(clusterPaths(name).kubeconfig);
      try {
        const apps = await kube.list<Application>('sluice.dev/v1alpha1', 'Application', {
          namespace: 'sluice-system',
        });
        expect(apps.items.map((a) => a.metadata.name).sort()).toEqual([
          'guestbook',
          'hello',
          'podinfo-dev',
          'podinfo-prod',
          'shop',
        ]);
        const shop = apps.items.find((a) => a.metadata.name === 'shop');
        expect(shop?.status?.operationState?.syncResult?.resources[0]).toMatchObject({
          kind: 'Job',
          hook: 'PreSync',
          hookPhase: 'Succeeded',
        });
      } finally {
        await kube.close();
      }

      // Second run: same repository (3 replicas committed), guestbook paused by the rollback.
      const second = await runOnce(name, repo, dir);
      expect(second.demo.stderr()).toContain('all 5 Applications are Synced and Healthy');
      expect([deployments(second.steps)[0], deployments(second.steps).at(-1)]).toEqual([
        '4/4',
        '3/3',
      ]);
      expect(second.steps).toMatch(/from 9 to 4/);
    } finally {
      await execFile(process.execPath, ['bin/sluice.js', 'dev-cluster', 'down', '--name', name]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
