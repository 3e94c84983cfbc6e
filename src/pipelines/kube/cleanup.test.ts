import { describe, expect, it } from 'vitest';
import type { TaskRun } from '../../api/pipeline.ts';
import { podsToDelete } from './cleanup.ts';
import { placementOf, sharedClaimKeys } from './placement.ts';
import type { Pod, PodStatus } from './pods.ts';

function pod(name: string, phase: PodStatus['phase'], finishedAt?: string, node?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ci', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      restartPolicy: 'Never',
      initContainers: [],
      containers: [],
      volumes: [],
      ...(node ? { nodeName: node } : {}),
    },
    status: {
      ...(phase ? { phase } : {}),
      ...(finishedAt
        ? { containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, finishedAt } } }] }
        : {}),
    },
  };
}

describe('finished pods kept to N', () => {
  const pods = [
    pod('a', 'Succeeded', '2026-01-01T00:01:00Z'),
    pod('b', 'Failed', '2026-01-01T00:03:00Z'),
    pod('c', 'Succeeded', '2026-01-01T00:02:00Z'),
    pod('running', 'Running'),
    pod('pending', 'Pending'),
  ];
  it.each<[number, string[]]>([
    [0, ['b', 'c', 'a']],
    [1, ['c', 'a']],
    [2, ['a']],
    [3, []],
  ])('keep %i → delete %j (never a pod still running)', (keep, want) => {
    expect(podsToDelete(pods, keep).map((p) => p.metadata.name)).toEqual(want);
  });
  it('holds back a pod the caller is not done with', () => {
    expect(
      podsToDelete(pods, 1, (p) => p.metadata.name !== 'a').map((p) => p.metadata.name),
    ).toEqual(['c']);
  });
});

function run(
  name: string,
  claim: string,
  extra: Partial<NonNullable<TaskRun['status']>> = {},
): TaskRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'TaskRun',
    metadata: {
      name,
      namespace: 'ci',
      ownerReferences: [
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'PipelineRun',
          name: 'p',
          uid: 'p-uid',
          controller: true,
        },
      ],
    },
    spec: { workspaces: [{ name: 'src', persistentVolumeClaim: { claimName: claim } }] },
    status: extra,
  };
}

describe('tasks sharing a PVC land on one node', () => {
  const clone = run('clone', 'shared', { nodeName: 'node-2' });
  it('keys TaskRuns by owner and claim; a TaskRun without an owner shares nothing', () => {
    expect(sharedClaimKeys(clone)).toEqual(['ci/p-uid/shared']);
    expect(sharedClaimKeys({ ...clone, metadata: { name: 'x', namespace: 'ci' } })).toEqual([]);
  });

  it.each<[string, TaskRun[], Pod[], ReturnType<typeof placementOf>]>([
    ['the first one goes anywhere', [], [], {}],
    ['a sibling recorded its node', [clone], [], { node: 'node-2' }],
    [
      'a sibling’s pod is scheduled',
      [run('lint', 'shared')],
      [pod('lint-pod', 'Running', undefined, 'node-3')],
      { node: 'node-3' },
    ],
    [
      'a sibling’s pod waits for a node: wait too',
      [run('lint', 'shared')],
      [pod('lint-pod', 'Pending')],
      'wait',
    ],
    [
      'a sibling on another claim does not count',
      [run('other', 'elsewhere', { nodeName: 'node-9' })],
      [],
      {},
    ],
  ])('%s', (_, siblings, pods, want) => {
    const me = run('build', 'shared');
    const view = {
      siblings: (key: string) => [me, ...siblings].filter((t) => sharedClaimKeys(t).includes(key)),
      pod: (_ns: string, name: string) => pods.find((p) => p.metadata.name === name),
    };
    expect(placementOf(me, view)).toEqual(want);
  });
});
