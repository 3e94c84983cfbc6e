/**
 * The `kubectl` image: the busybox tree plus the dev cluster's own kubectl at /bin/kubectl. A
 * pod with a ServiceAccount runs `kubectl get ...` and talks to the API server in-cluster: the
 * simplest real in-cluster client, for tests and for pipeline steps that touch the cluster.
 */
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binaryPath } from '../build.ts';
import { DevClusterError } from '../errors.ts';
import { KUBERNETES_VERSION } from '../tools.ts';
import type { ImageConfig } from './buildah.ts';
import { BUSYBOX_CONFIG, writeBusyboxTree } from './busybox.ts';
import { hashFile, hashInputs, hashTag } from './hash.ts';

export const KUBECTL_RECIPE = '1';

export const KUBECTL_CONFIG: ImageConfig = {
  ...BUSYBOX_CONFIG,
  user: '65534:65534',
  labels: { 'org.opencontainers.image.title': 'kubectl (built by sluice dev-cluster images)' },
};

export async function requireKubectl(): Promise<string> {
  const kubectl = await binaryPath('kubectl');
  if (!kubectl) {
    throw new DevClusterError('ToolMissing', 'kubectl is not built yet', {
      hint: 'run `sluice dev-cluster build` first',
    });
  }
  return kubectl;
}

/** `v1.36.3-<12 hex>`: changes with busybox, kubectl or this recipe. */
export async function kubectlTag(busybox: string, kubectl: string): Promise<string> {
  return hashTag(
    `v${KUBERNETES_VERSION}`,
    hashInputs([
      ['recipe', KUBECTL_RECIPE],
      ['busybox', await hashFile(busybox)],
      ['kubectl', await hashFile(kubectl)],
    ]),
  );
}

export async function writeKubectlTree(
  busybox: string,
  kubectl: string,
  dir: string,
): Promise<void> {
  await writeBusyboxTree(busybox, dir);
  await copyFile(kubectl, join(dir, 'bin', 'kubectl'));
  await chmod(join(dir, 'bin', 'kubectl'), 0o755);
}
