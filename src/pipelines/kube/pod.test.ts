import { describe, expect, it } from 'vitest';
import type { TaskRun, TaskSpec, WorkspaceBinding } from '../../api/pipeline.ts';
import { resolveTask } from '../task/resolve.ts';
import { buildPod, effectivePodTemplate, type PodOptions } from './pod.ts';
import { childName, type Container, type Json, podName } from './pods.ts';

function run(spec: Partial<TaskRun['spec']> = {}, name = 'build-1'): TaskRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'TaskRun',
    metadata: {
      name,
      namespace: 'ci',
      uid: 'uid-1',
      labels: { team: 'a' },
      annotations: { note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    },
    spec,
  };
}

function pod(taskSpec: TaskSpec, tr: TaskRun = run(), o: Partial<PodOptions> = {}) {
  const task = resolveTask({
    spec: taskSpec,
    params: tr.spec.params ?? [],
    workspaces: tr.spec.workspaces ?? [],
    context: { taskRunName: tr.metadata.name, namespace: 'ci', uid: 'uid-1', taskName: 't' },
  });
  return buildPod(task, tr, { helperImage: 'helper:1', attempt: 0, ...o });
}

const byName = (cs: Container[], name: string): Container => cs.find((c) => c.name === name)!;

describe('the pod of a TaskRun', () => {
  const spec: TaskSpec = {
    results: [{ name: 'digest' }],
    workspaces: [{ name: 'src' }],
    sidecars: [{ name: 'db', image: 'postgres:16' }],
    steps: [
      { name: 'clone', image: 'git:1', script: 'git clone x $(workspaces.src.path)' },
      { name: 'build', image: 'go:1', command: ['go'], args: ['build', './...'] },
    ],
  };
  const ws: WorkspaceBinding[] = [{ name: 'src', persistentVolumeClaim: { claimName: 'shared' } }];
  const p = pod(spec, run({ workspaces: ws, serviceAccountName: 'builder' }));

  it('runs steps as init containers in order, sidecars first as native sidecars', () => {
    expect(p.spec.initContainers.map((c) => [c.name, c.image, c.restartPolicy])).toEqual([
      ['sidecar-db', 'postgres:16', 'Always'],
      ['step-clone', 'git:1', undefined],
      ['step-build', 'go:1', undefined],
    ]);
    expect(p.spec.restartPolicy).toBe('Never');
    expect(p.spec.serviceAccountName).toBe('builder');
  });

  it('delivers a script through an annotation and a downwardAPI volume, mode 0755', () => {
    const clone = byName(p.spec.initContainers, 'step-clone');
    expect(clone.command).toEqual(['/sluice/scripts/step-clone']);
    expect(p.metadata.annotations?.['sluice.dev/script-0']).toBe(
      '#!/bin/sh\nset -e\ngit clone x /workspace/src',
    );
    expect(p.spec.volumes).toContainEqual({
      name: 'sluice-scripts',
      downwardAPI: {
        defaultMode: 0o755,
        items: [
          {
            path: 'step-clone',
            fieldRef: { fieldPath: "metadata.annotations['sluice.dev/script-0']" },
          },
        ],
      },
    });
    expect(byName(p.spec.initContainers, 'step-build').command).toEqual(['go']);
  });

  it('mounts results, /workspace and the workspaces into every step', () => {
    for (const name of ['step-clone', 'step-build']) {
      const mounts = byName(p.spec.initContainers, name).volumeMounts as Json[];
      expect(mounts).toEqual(
        expect.arrayContaining([
          { name: 'sluice-results', mountPath: '/sluice/results' },
          { name: 'sluice-workspace', mountPath: '/workspace' },
          { name: 'ws-0', mountPath: '/workspace/src' },
        ]),
      );
    }
    expect(p.spec.volumes).toContainEqual({
      name: 'ws-0',
      persistentVolumeClaim: { claimName: 'shared' },
    });
  });

  it('ends with the results container reading the declared results', () => {
    expect(p.spec.containers).toHaveLength(1);
    expect(p.spec.containers[0]).toMatchObject({
      name: 'sluice-results',
      image: 'helper:1',
      imagePullPolicy: 'IfNotPresent',
      args: ['digest'],
      volumeMounts: [{ name: 'sluice-results', mountPath: '/sluice/results', readOnly: true }],
    });
  });

  it('is owned by the TaskRun, labelled with it, and carries its labels and annotations', () => {
    expect(p.metadata.name).toBe('build-1-pod');
    expect(p.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'TaskRun', name: 'build-1', uid: 'uid-1', controller: true }),
    ]);
    expect(p.metadata.labels).toMatchObject({ team: 'a', 'sluice.dev/taskRun': 'build-1' });
    expect(p.metadata.annotations?.['note']).toBe('x');
    expect(p.metadata.annotations).not.toHaveProperty(
      'kubectl.kubernetes.io/last-applied-configuration',
    );
  });
});

describe('podTemplate, deadline, placement', () => {
  const spec: TaskSpec = {
    steps: [{ name: 's', image: 'b', env: [{ name: 'A', value: 'step' }] }],
  };

  it('takes the podTemplate’s scheduling fields and env (the step’s env wins)', () => {
    const p = pod(
      spec,
      run({
        podTemplate: {
          nodeSelector: { 'sluice.dev/real-node': 'true' },
          tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
          env: [
            { name: 'A', value: 'template' },
            { name: 'B', value: 'b' },
          ],
          notAPodField: true,
        },
      }),
    );
    expect(p.spec.nodeSelector).toEqual({ 'sluice.dev/real-node': 'true' });
    expect(p.spec['tolerations']).toHaveLength(1);
    expect(p.spec).not.toHaveProperty('notAPodField');
    expect(p.spec.initContainers[0]?.env).toEqual([
      { name: 'B', value: 'b' },
      { name: 'A', value: 'step' },
    ]);
  });

  it('pins to a node beside the podTemplate’s selector, and sets the deadline', () => {
    const p = pod(spec, run({ podTemplate: { nodeSelector: { disk: 'ssd' } } }), {
      nodeName: 'node-7',
      activeDeadlineSeconds: 42,
    });
    expect(p.spec.nodeSelector).toEqual({ disk: 'ssd', 'kubernetes.io/hostname': 'node-7' });
    expect(p.spec.activeDeadlineSeconds).toBe(42);
  });

  it('names each attempt’s pod as Tekton, within 63 characters', () => {
    expect(podName('r', 0)).toBe('r-pod');
    expect(podName('r', 2)).toBe('r-pod-retry2');
    const long = 'x'.repeat(70);
    expect(podName(long, 1)).toHaveLength(63);
    expect(podName(long, 1)).not.toBe(podName(`${'x'.repeat(69)}y`, 1));
    expect(childName(long, 'pod').endsWith('-pod')).toBe(true);
  });
});

describe('effectivePodTemplate (the controller default under the run own)', () => {
  it.each([
    ['no default', { nodeSelector: { a: '1' } }, undefined, { nodeSelector: { a: '1' } }],
    ['no run template', undefined, { nodeSelector: { d: '1' } }, { nodeSelector: { d: '1' } }],
    [
      'the run wins field by field',
      { nodeSelector: { a: '1' } },
      { nodeSelector: { d: '1' }, tolerations: [{ key: 't' }] },
      { nodeSelector: { a: '1' }, tolerations: [{ key: 't' }] },
    ],
    [
      'env and volumes merge by name',
      { env: [{ name: 'A', value: 'run' }], volumes: [{ name: 'v', emptyDir: {} }] },
      {
        env: [
          { name: 'A', value: 'default' },
          { name: 'B', value: 'default' },
        ],
      },
      {
        env: [
          { name: 'B', value: 'default' },
          { name: 'A', value: 'run' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    ],
  ])('%s', (_what, run, defaults, want) => {
    expect(effectivePodTemplate(run, defaults)).toEqual(want);
  });
});
