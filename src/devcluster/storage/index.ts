/**
 * Starting the `sluice-local` volume provisioner as one of the cluster's components (a Node
 * process running provisioner.ts, its log in `logs/volume-provisioner.log`), ready once the
 * StorageClass is served. `dev-cluster down` stops it with the other components.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kube } from '../../kube/api.ts';
import type { ClusterPaths } from '../paths.ts';
import { startComponent, waitReady, type RunningComponent } from '../process.ts';
import { STORAGE_CLASS } from './volumes.ts';

export { PROVISIONER, STORAGE_CLASS } from './volumes.ts';

const PROGRAM = fileURLToPath(new URL('./provisioner.ts', import.meta.url));

/** Starts the provisioner for volumes on `node` (then `waitVolumeProvisioner`). */
export async function startVolumeProvisioner(
  paths: ClusterPaths,
  node: string,
): Promise<RunningComponent> {
  const dir = join(paths.dir, 'volumes');
  await mkdir(dir, { recursive: true });
  return startComponent(
    'volume-provisioner',
    process.execPath,
    [PROGRAM, '--kubeconfig', paths.kubeconfig, '--dir', dir, '--node', node],
    join(paths.logs, 'volume-provisioner.log'),
  );
}

/** Resolves once the provisioner serves the StorageClass; fails if it dies first. */
export async function waitVolumeProvisioner(
  c: RunningComponent,
  paths: ClusterPaths,
): Promise<void> {
  const kube = await Kube.connect(paths.kubeconfig);
  try {
    await waitReady(
      c,
      async () => !!(await kube.get('storage.k8s.io/v1', 'StorageClass', undefined, STORAGE_CLASS)),
      30_000,
    );
  } finally {
    await kube.close();
  }
}
