import { describe, expect, it } from 'vitest';
import { type Claim, releasedDir, type Volume, volumeFor, wantsVolume } from './volumes.ts';

const claim = (over: Partial<Claim['spec']> = {}, phase = 'Pending', annotations = {}): Claim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'ci', uid: 'u1', annotations },
  spec: {
    storageClassName: 'sluice-local',
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '2Gi' } },
    ...over,
  },
  status: { phase },
});

describe('sluice-local volumes', () => {
  it.each<[string, Claim, boolean]>([
    ['a pending claim of the class', claim(), true],
    [
      'asked of this provisioner',
      claim({}, 'Pending', { 'volume.kubernetes.io/storage-provisioner': 'sluice.dev/local' }),
      true,
    ],
    [
      'asked of another provisioner',
      claim({}, 'Pending', { 'volume.kubernetes.io/storage-provisioner': 'other' }),
      false,
    ],
    ['another class', claim({ storageClassName: 'fast' }), false],
    ['already bound', claim({ volumeName: 'pv-1' }, 'Bound'), false],
  ])('%s → %s', (_, c, want) => expect(wantsVolume(c)).toBe(want));

  it('makes a hostPath volume on the node, under the root, bound to the claim', () => {
    expect(volumeFor(claim(), '/state/volumes', 'real-node-0')).toMatchObject({
      metadata: {
        name: 'pvc-u1',
        annotations: { 'pv.kubernetes.io/provisioned-by': 'sluice.dev/local' },
      },
      spec: {
        capacity: { storage: '2Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'sluice-local',
        claimRef: { namespace: 'ci', name: 'data', uid: 'u1' },
        hostPath: { path: '/state/volumes/pvc-u1', type: 'DirectoryOrCreate' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/hostname', operator: 'In', values: ['real-node-0'] },
                ],
              },
            ],
          },
        },
      },
    });
  });

  const volume = (path: string, phase: string, by = 'sluice.dev/local'): Volume => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': by } },
    spec: { persistentVolumeReclaimPolicy: 'Delete', hostPath: { path } },
    status: { phase },
  });
  it.each<[string, Volume, string | undefined]>([
    [
      'released: its directory goes',
      volume('/state/volumes/pvc-u1', 'Released'),
      '/state/volumes/pvc-u1',
    ],
    ['still bound', volume('/state/volumes/pvc-u1', 'Bound'), undefined],
    ['not ours', volume('/state/volumes/pvc-u1', 'Released', 'someone-else'), undefined],
    [
      'a path outside the root is never removed',
      volume('/state/volumes/../../etc', 'Released'),
      undefined,
    ],
    ['the root itself is never removed', volume('/state/volumes', 'Released'), undefined],
  ])('%s', (_, v, want) => expect(releasedDir(v, '/state/volumes')).toBe(want));
});
