/**
 * Which kubeconfig a command uses, checked before anything connects: `--kubeconfig`, then
 * `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account. With none of them
 * the Kubernetes client would fall back to http://localhost:8080 and fail with a message about
 * TLS settings; we say what is missing and how to get a cluster instead.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SluiceError } from '../errors.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeconfigEnv {
  KUBECONFIG?: string | undefined;
  KUBERNETES_SERVICE_HOST?: string | undefined;
  home: string;
  exists: (path: string) => boolean;
}

const HINT =
  '`eval "$(npx sluice dev-cluster up)"` starts a local cluster and sets KUBECONFIG; `--kubeconfig FILE` names another';

export class NoKubeconfigError extends SluiceError {
  constructor(message: string) {
    super('NoKubeconfig', message, { hint: HINT });
    this.name = 'NoKubeconfigError';
  }
}

/**
 * The file to load, or undefined for the client's default loading (`$KUBECONFIG`, which may list
 * several files, `~/.kube/config`, in-cluster). Throws NoKubeconfigError when there is none.
 */
export function findKubeconfig(
  explicit: string | undefined,
  env: KubeconfigEnv,
): string | undefined {
  if (explicit !== undefined) {
    if (!env.exists(explicit))
      throw new NoKubeconfigError(`no kubeconfig: ${explicit} does not exist`);
    return explicit;
  }
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) {
    if (listed.some((p) => env.exists(p))) return undefined;
    throw new NoKubeconfigError(
      `no kubeconfig: KUBECONFIG names ${listed.join(delimiter)}, which does not exist`,
    );
  }
  if (env.exists(join(env.home, '.kube', 'config'))) return undefined;
  if (env.KUBERNETES_SERVICE_HOST && env.exists(SERVICE_ACCOUNT_TOKEN)) return undefined;
  throw new NoKubeconfigError('no kubeconfig: set KUBECONFIG or run `sluice dev-cluster up`');
}

/** findKubeconfig with this process's environment and file system. */
export function kubeconfigFromEnvironment(explicit: string | undefined): string | undefined {
  return findKubeconfig(explicit, {
    KUBECONFIG: process.env['KUBECONFIG'],
    KUBERNETES_SERVICE_HOST: process.env['KUBERNETES_SERVICE_HOST'],
    home: homedir(),
    exists: existsSync,
  });
}
