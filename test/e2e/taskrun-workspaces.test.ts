/**
 * TaskRun workspaces on the real node: ConfigMap and Secret (read-only files), a PVC of the dev
 * cluster's default class `sluice-local` that outlives a run (the next run reads what the first
 * wrote), a volumeClaimTemplate (a PVC made for the run, owned by it, gone after it), tasks of one
 * owner sharing a PVC pinned to one node, a bound ConfigMap that does not exist (a clear failure,
 * no pod); and retries (three attempts recorded) and finished pods kept to N.
 */
import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.ts';
import type { Pod } from '../../src/pipelines/kube/pods.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { BUSYBOX, createTaskRun, ended, startTaskRuns, succeeded } from './taskrun-harness.ts';

const ns = useNamespace('trws');

const readResult = {
  results: [{ name: 'out' }],
  workspaces: [{ name: 'data' }],
};

async function pvc(name: string): Promise<KubeObject | undefined> {
  return (await kube()).get('v1', 'PersistentVolumeClaim', ns(), name);
}

describe('TaskRun workspaces', () => {
  it('mounts a ConfigMap and a Secret, read-only', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await k.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'conf', namespace: ns() },
      data: { 'app.txt': 'from-configmap' },
    });
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns() },
      stringData: { token: 's3cret' },
    });
    await createTaskRun(k, ns(), 'cm-secret', {
      taskSpec: {
        results: [{ name: 'out' }],
        workspaces: [{ name: 'conf' }, { name: 'creds', mountPath: '/creds' }],
        steps: [
          {
            image: BUSYBOX,
            script:
              'printf "%s %s" "$(cat $(workspaces.conf.path)/app.txt)" "$(cat /creds/token)" > $(results.out.path)\n' +
              'if touch $(workspaces.conf.path)/x 2>/dev/null; then exit 9; fi',
          },
        ],
      },
      workspaces: [
        { name: 'conf', configMap: { name: 'conf' } },
        { name: 'creds', secret: { secretName: 'creds' } },
      ],
    });
    const tr = await ended(k, ns(), 'cm-secret');
    expect(succeeded(tr)?.reason).toBe('Succeeded');
    expect(tr.status?.results).toEqual([{ name: 'out', value: 'from-configmap s3cret' }]);
  });

  it('keeps a PVC’s data from one run to the next; the volume goes with the claim', async () => {
    const k = await kube();
    await startTaskRuns(k, ns(), { keepPods: 0 });
    await k.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'cache', namespace: ns() },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } } },
    });
    const bound = { workspaces: [{ name: 'data', persistentVolumeClaim: { claimName: 'cache' } }] };
    await createTaskRun(k, ns(), 'writer', {
      taskSpec: {
        workspaces: [{ name: 'data' }],
        steps: [{ image: BUSYBOX, script: 'echo kept > $(workspaces.data.path)/f' }],
      },
      ...bound,
    });
    expect(succeeded(await ended(k, ns(), 'writer'))?.reason).toBe('Succeeded');
    await createTaskRun(k, ns(), 'reader', {
      taskSpec: {
        ...readResult,
        steps: [{ image: BUSYBOX, script: 'cat $(workspaces.data.path)/f > $(results.out.path)' }],
      },
      ...bound,
    });
    const tr = await ended(k, ns(), 'reader');
    expect(tr.status?.results).toEqual([{ name: 'out', value: 'kept\n' }]);
    expect(tr.status?.nodeName).toBe('real-node-0');
    // The volume is a directory on the real node; deleting the claim removes both.
    const claim = await pvc('cache');
    const pvName = (claim?.['spec'] as { volumeName: string }).volumeName;
    const pv = await k.get('v1', 'PersistentVolume', undefined, pvName);
    const path = (pv?.['spec'] as { hostPath: { path: string } }).hostPath.path;
    await access(path);
    await eventually('the pods to be cleaned up', async () =>
      (await k.list('v1', 'Pod', { namespace: ns() })).items.length === 0 ? true : undefined,
    );
    await k.delete({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'cache', namespace: ns() },
    });
    await eventually(
      'the volume to be deleted',
      async () => ((await k.get('v1', 'PersistentVolume', undefined, pvName)) ? undefined : true),
      30_000,
    );
    await expect(access(path)).rejects.toThrow();
  });

  it('makes a PVC from a volumeClaimTemplate, owned by the run, and lets it go after', async () => {
    const k = await kube();
    await startTaskRuns(k, ns(), { keepPods: 0 });
    await createTaskRun(k, ns(), 'vct', {
      taskSpec: {
        ...readResult,
        steps: [
          { name: 'write', image: BUSYBOX, script: 'echo fresh > $(workspaces.data.path)/f' },
          {
            name: 'read',
            image: BUSYBOX,
            script:
              'printf "%s %s" "$(cat $(workspaces.data.path)/f)" "$(workspaces.data.claim)" > $(results.out.path)',
          },
        ],
      },
      workspaces: [
        {
          name: 'data',
          volumeClaimTemplate: {
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Mi' } } },
          },
        },
      ],
    });
    const seen = await eventually('the PVC to be made', () => pvc('vct-data'));
    expect(seen.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'TaskRun', name: 'vct' });
    const tr = await ended(k, ns(), 'vct');
    expect(tr.status?.results).toEqual([{ name: 'out', value: 'fresh vct-data' }]);
    await eventually(
      'the PVC to go',
      async () => ((await pvc('vct-data')) ? undefined : true),
      30_000,
    );
  });

  it('pins tasks of one owner sharing a PVC to the node of the first', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    const owner = await k.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner', namespace: ns() },
    });
    await k.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'shared', namespace: ns() },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
    });
    const ownerRef = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'owner',
      uid: owner.metadata.uid!,
      controller: true,
    };
    for (const name of ['first', 'second']) {
      await k.create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'TaskRun',
        metadata: { name, namespace: ns(), ownerReferences: [ownerRef] },
        spec: {
          podTemplate: { tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }] },
          taskSpec: {
            workspaces: [{ name: 'data' }],
            steps: [
              {
                image: BUSYBOX,
                script: 'echo $(context.taskRun.name) >> $(workspaces.data.path)/log',
              },
            ],
          },
          workspaces: [{ name: 'data', persistentVolumeClaim: { claimName: 'shared' } }],
        },
      });
    }
    const [a, b] = [await ended(k, ns(), 'first'), await ended(k, ns(), 'second')];
    expect([succeeded(a)?.reason, succeeded(b)?.reason]).toEqual(['Succeeded', 'Succeeded']);
    expect(a.status?.nodeName).toBe('real-node-0');
    expect(b.status?.nodeName).toBe('real-node-0');
    // Whichever went second was told the node of the first.
    const pods = await Promise.all(
      ['first-pod', 'second-pod'].map((n) => k.get<Pod>('v1', 'Pod', ns(), n)),
    );
    const pinned = pods.filter(
      (p) => p?.spec.nodeSelector?.['kubernetes.io/hostname'] === 'real-node-0',
    );
    expect(pinned).toHaveLength(1);
  });

  it('fails at once, naming it, when a bound ConfigMap does not exist', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'nocm', {
      taskSpec: { workspaces: [{ name: 'conf' }], steps: [{ image: BUSYBOX, script: 'true' }] },
      workspaces: [{ name: 'conf', configMap: { name: 'typo' } }],
    });
    const tr = await ended(k, ns(), 'nocm', 15_000);
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'TaskRunValidationFailed',
      message: `workspace "conf": ConfigMap "typo" does not exist in namespace "${ns()}"`,
    });
    expect(tr.status?.podName).toBeUndefined();
  });
});

describe('attempts and pods', () => {
  it('retries a failing TaskRun: three attempts recorded', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await createTaskRun(k, ns(), 'flaky', {
      retries: 2,
      taskSpec: {
        steps: [
          {
            name: 'try',
            image: BUSYBOX,
            script: 'echo attempt $(context.task.retry-count); exit 3',
          },
        ],
      },
    });
    const tr = await ended(k, ns(), 'flaky');
    expect(succeeded(tr)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'step "try" exited with code 3',
    });
    expect(tr.status?.retriesStatus?.map((a) => [a.podName, a.conditions?.[0]?.reason])).toEqual([
      ['flaky-pod', 'Failed'],
      ['flaky-pod-retry1', 'Failed'],
    ]);
    expect(tr.status?.podName).toBe('flaky-pod-retry2');
    expect(await k.podLog(ns(), 'flaky-pod-retry2', { container: 'step-try' })).toBe('attempt 2\n');
  });

  it('keeps the newest N finished pods', async () => {
    const k = await kube();
    await startTaskRuns(k, ns(), { keepPods: 2 });
    for (const i of [1, 2, 3, 4]) {
      await createTaskRun(k, ns(), `quick-${i}`, {
        taskSpec: { steps: [{ image: BUSYBOX, script: 'true' }] },
      });
      await ended(k, ns(), `quick-${i}`);
    }
    const names = await eventually(
      'old pods to be cleaned up',
      async () => {
        const pods = (await k.list('v1', 'Pod', { namespace: ns() })).items.filter(
          (p) => !p.metadata.deletionTimestamp,
        );
        return pods.length === 2 ? pods.map((p) => p.metadata.name).sort() : undefined;
      },
      30_000,
    );
    expect(names).toEqual(['quick-3-pod', 'quick-4-pod']);
  });
});
