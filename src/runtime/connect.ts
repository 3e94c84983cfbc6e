/**
 * Connecting to a registered cluster: its Secret's kubeconfig (current context), or Argo CD's
 * JSON config (bearer token or basic auth, CA or insecure, client certificate) turned into a
 * KubeConfig; then the same Kube client the controller uses for its own cluster. `probe` asks
 * the API server for its version, which any authenticated identity may read.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterSpec } from '../api/cluster.ts';
import { errorMessage } from '../errors.ts';
import { Kube } from '../kube/api.ts';

/** The KubeConfig a cluster Secret describes; throws when it has none to offer. */
export function kubeConfigOf(spec: ClusterSpec): KubeConfig {
  const kc = new KubeConfig();
  if ('kubeconfig' in spec.auth) {
    kc.loadFromString(spec.auth.kubeconfig);
    if (!kc.getCurrentCluster())
      throw new Error('the kubeconfig has no current context naming a cluster');
    return kc;
  }
  const { bearerToken, username, password, tlsClientConfig: tls = {} } = spec.auth.config;
  kc.loadFromOptions({
    clusters: [
      {
        name: spec.name,
        server: spec.server,
        skipTLSVerify: tls.insecure === true,
        ...(tls.caData ? { caData: tls.caData } : {}),
        ...(tls.serverName ? { tlsServerName: tls.serverName } : {}),
      },
    ],
    users: [
      {
        name: spec.name,
        ...(bearerToken ? { token: bearerToken } : {}),
        ...(username ? { username, password: password ?? '' } : {}),
        ...(tls.certData ? { certData: tls.certData } : {}),
        ...(tls.keyData ? { keyData: tls.keyData } : {}),
      },
    ],
    contexts: [{ name: spec.name, cluster: spec.name, user: spec.name }],
    currentContext: spec.name,
  });
  return kc;
}

/** Why a cluster Secret cannot be connected with (names the Secret), or undefined. */
export function checkConnectable(spec: ClusterSpec): string | undefined {
  try {
    kubeConfigOf(spec);
    return undefined;
  } catch (err) {
    const field = 'kubeconfig' in spec.auth ? 'kubeconfig' : 'config';
    return `Secret ${spec.secretName}: ${field} cannot be used (${errorMessage(err)})`;
  }
}

/** A client for a registered cluster (one connection pool; close it with `kube.close()`). */
export function connectCluster(spec: ClusterSpec): Promise<Kube> {
  return Kube.connect(kubeConfigOf(spec));
}

/** Resolves when the API server answers within `timeoutMs`; rejects with the cause otherwise. */
export async function probe(kube: Kube, timeoutMs: number): Promise<void> {
  await kube.client.request<unknown>({
    method: 'GET',
    path: '/version',
    verb: 'probe:get',
    signal: AbortSignal.timeout(timeoutMs),
  });
}
