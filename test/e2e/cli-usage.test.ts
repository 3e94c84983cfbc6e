/**
 * Exit codes and flags as documented (issue 8, item 6), through the real binary: usage errors
 * exit 2 from every command; contradictions and unknown projects are refused before anything is
 * written; no kubeconfig says how to get one; `app list` right after `install-crds` on a fresh
 * cluster works (it used to fail with "storage is (re)initializing").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { down, up } from '../../src/devcluster/cluster.ts';
import { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { getApp } from './gitops-harness.ts';
import { kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('usage');
const sluice = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFile(process.execPath, ['bin/sluice.js', ...args], {
    timeoutMs: 120_000,
    env: { ...env, NO_COLOR: '1' },
  });
const app = (...args: string[]) =>
  sluice(['app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()]);

describe('exit codes', () => {
  it.each<[string, string[], string]>([
    ['an unknown flag', ['list', '--bogus'], "unknown option '--bogus'"],
    ['a missing argument', ['get'], "missing required argument 'name'"],
    ['an invalid choice', ['list', '-o', 'xml'], 'Allowed choices are table, json, yaml'],
    ['a bad --timeout', ['sync', 'x', '--timeout', 'soon'], '--timeout must be'],
  ])('%s exits 2', async (_case, args, message) => {
    const r = await app(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses --sync-policy none --auto-prune and unknown projects; nothing is created', async () => {
    const repo = ['--repo', 'file:///nowhere', '--dest-namespace', ns()];
    const contradiction = await app(
      'create',
      'x',
      ...repo,
      '--sync-policy',
      'none',
      '--auto-prune',
    );
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toContain('--sync-policy none contradicts');
    const project = await app('create', 'x', ...repo, '--project', 'Team A');
    expect(project.code).toBe(2);
    expect(project.stderr).toContain('is not an AppProject name');
    expect(await getApp(await kube(), ns(), 'x')).toBeUndefined();

    expect((await app('create', 'x', ...repo)).code).toBe(0);
    const set = await app('set', 'x', '--project', 'Team A');
    expect(set.code).toBe(2);
    expect((await getApp(await kube(), ns(), 'x'))?.spec.project).toBe('default');
    expect((await app('set', 'x', '--project', 'team-a')).code).toBe(0);
    expect((await getApp(await kube(), ns(), 'x'))?.spec.project).toBe('team-a');
    expect((await app('create', 'y', ...repo, '--project', 'default')).code).toBe(0);
  });

  it('without any kubeconfig, says how to get a cluster', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sluice-home-'));
    try {
      const { KUBECONFIG: _k, ...env } = process.env;
      const r = await sluice(['app', 'list'], { ...env, HOME: home });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no kubeconfig: set KUBECONFIG or run `sluice dev-cluster up`');
      expect(r.stderr).not.toContain('skipTLSVerify');
      const missing = await sluice(['app', 'list', '--kubeconfig', join(home, 'nope')], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`no kubeconfig: ${join(home, 'nope')} does not exist`);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('app list right after install-crds', () => {
  it('works on a fresh cluster, every time', async () => {
    const name = `crds-${process.pid}`;
    const { state } = await up({ name, nodes: 1, realNodes: 0, progress: silentProgress });
    const k = await Kube.connect(state.kubeconfig);
    try {
      for (let round = 0; round < 3; round++) {
        const installed = await sluice(['install-crds', '--kubeconfig', state.kubeconfig]);
        expect(installed.code, installed.stderr).toBe(0);
        const listed = await sluice(['app', 'list', '-A', '--kubeconfig', state.kubeconfig]);
        expect(listed.stderr).not.toContain('initializing');
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).toContain('no Applications');
        // The next round installs them afresh, as on a new cluster.
        await k.delete({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'applications.sluice.dev' },
        });
        while (
          await k.get(
            'apiextensions.k8s.io/v1',
            'CustomResourceDefinition',
            undefined,
            'applications.sluice.dev',
          )
        )
          await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await k.close();
      await down(name);
    }
  });
});
