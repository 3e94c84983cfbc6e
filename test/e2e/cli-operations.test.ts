/**
 * Operations the CLI asks for and the controller performs: `app sync --resource` applies only the
 * named objects, and `app terminate-op` stops a sync that waits on a hook (the operation ends
 * Failed, saying it was terminated). The CLI writes the request (operation.sync.resources; the
 * Terminating phase); these tests check that the controller honours it.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { execFile } from '../../src/util/exec.ts';
import { configMap, createRepo, startController } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('cliops');
const app = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', 'app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    { timeoutMs: 120_000, env: { ...process.env, NO_COLOR: '1' } },
  );
const getApp = async (name: string) =>
  JSON.parse((await app('get', name, '-o', 'json')).stdout) as Application;

/** A PreSync hook that never finishes: its pod fits no node, so the Job never completes. */
const stuckHook = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      nodeSelector: { sluice.dev/no-such-node: "true" }
      containers:
        - name: migrate
          image: busybox:1.36
`;

describe('operations asked for by the CLI', () => {
  it('sync --resource applies only the named objects', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/a.yaml': configMap('a', { n: '1' }),
      'app/b.yaml': configMap('b', { n: '2' }),
    });
    await startController(k, ns());
    const created = await app(
      'create',
      'sel',
      '--repo',
      repo.url,
      '--path',
      'app',
      '--dest-namespace',
      ns(),
    );
    expect(created.code, created.stderr).toBe(0);

    const synced = await app('sync', 'sel', '--resource', ':ConfigMap:a', '--timeout', '60');
    expect(synced.code, synced.stderr).toBe(0);
    expect(await k.get('v1', 'ConfigMap', ns(), 'a')).toBeDefined();
    expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeUndefined();
    const result = (await getApp('sel')).status?.operationState?.syncResult?.resources ?? [];
    expect(result.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/a']);
  });

  it('terminate-op stops a sync waiting on a hook; the operation ends Failed as terminated', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/hook.yaml': stuckHook,
      'app/cm.yaml': configMap('after-hook', { n: '1' }),
    });
    // Hooks may wait two minutes: a stop that is not honoured shows as a timeout below.
    await startController(k, ns(), { waitTimeoutMs: 120_000 });
    const created = await app(
      'create',
      'hooked',
      '--repo',
      repo.url,
      '--path',
      'app',
      '--dest-namespace',
      ns(),
    );
    expect(created.code, created.stderr).toBe(0);
    expect((await app('sync', 'hooked', '--async')).code).toBe(0);
    await eventually('the PreSync hook to run', () => k.get('batch/v1', 'Job', ns(), 'migrate'));
    await eventually('the operation to be Running', async () =>
      (await getApp('hooked')).status?.operationState?.phase === 'Running' ? true : undefined,
    );

    const terminated = await app('terminate-op', 'hooked');
    expect(terminated.code, terminated.stderr).toBe(0);
    const waited = await app('wait', 'hooked', '--operation', '--timeout', '30');
    expect(waited.code, waited.stderr).toBe(0);
    const op = (await getApp('hooked')).status?.operationState;
    expect(op?.phase).toBe('Failed');
    expect(op?.message).toMatch(/terminated/i);
    expect(await k.get('v1', 'ConfigMap', ns(), 'after-hook')).toBeUndefined();
    expect((await app('terminate-op', 'hooked')).code).toBe(1);
  });
});
