/**
 * The dev cluster's StorageClass `sluice-local` (the default class): a PVC of that class gets a
 * hostPath PersistentVolume on the real node, a directory under the cluster's state directory
 * (`<cluster>/volumes/pvc-<uid>`, mode 0777 so any user in a pod can write), with node affinity
 * to `real-node-0` — so every pod using the claim is scheduled there. When the claim is deleted
 * (the PV is Released) the directory and the PV go. `dev-cluster down` removes whatever is left
 * with the cluster's directory.
 *
 * This file decides (pure); provisioner.ts watches and acts.
 */
import { join, resolve } from 'node:path';
import type { KubeObject } from '../../kube/types.ts';

export const STORAGE_CLASS = 'sluice-local';
export const PROVISIONER = 'sluice.dev/local';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const ASKED_OF = 'volume.kubernetes.io/storage-provisioner';

export interface Claim extends KubeObject {
  spec?: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string };
}

export interface Volume extends KubeObject {
  spec?: {
    persistentVolumeReclaimPolicy?: string;
    hostPath?: { path?: string; type?: string };
    claimRef?: {
      apiVersion?: string;
      kind?: string;
      namespace?: string;
      name?: string;
      uid?: string;
    };
    [field: string]: unknown;
  };
  status?: { phase?: string };
}

export function storageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: STORAGE_CLASS,
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
}

/** A claim this provisioner should make a volume for. */
export function wantsVolume(c: Claim): boolean {
  const asked =
    c.metadata.annotations?.[ASKED_OF] ??
    c.metadata.annotations?.[`volume.beta.kubernetes.io/storage-provisioner`];
  return (
    c.spec?.storageClassName === STORAGE_CLASS &&
    !c.spec.volumeName &&
    c.status?.phase === 'Pending' &&
    !c.metadata.deletionTimestamp &&
    (asked === undefined || asked === PROVISIONER)
  );
}

export const volumeName = (c: Claim): string => `pvc-${c.metadata.uid ?? ''}`;

/** The directory of a claim's volume. */
export function volumeDir(root: string, c: Claim): string {
  return join(root, volumeName(c));
}

/** The PersistentVolume for claim `c`, on `node`, in `root`. */
export function volumeFor(c: Claim, root: string, node: string): Volume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeName(c), annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage: c.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: c.spec?.accessModes?.length ? c.spec.accessModes : ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: STORAGE_CLASS,
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: c.metadata.namespace ?? '',
        name: c.metadata.name ?? '',
        uid: c.metadata.uid ?? '',
      },
      hostPath: { path: volumeDir(root, c), type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }],
            },
          ],
        },
      },
    },
  };
}

/** A volume of ours whose claim is gone: its directory (only ever one under `root`) to remove. */
export function releasedDir(v: Volume, root: string): string | undefined {
  if (v.metadata.annotations?.[PROVISIONED_BY] !== PROVISIONER) return undefined;
  if (v.status?.phase !== 'Released' || v.spec?.persistentVolumeReclaimPolicy !== 'Delete')
    return undefined;
  const path = v.spec.hostPath?.path;
  if (!path) return undefined;
  const inside = resolve(path);
  return inside.startsWith(`${resolve(root)}/`) ? inside : undefined;
}
