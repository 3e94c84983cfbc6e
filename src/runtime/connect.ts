/**
 * From cluster Secrets to connections: a Secret read for the resolver (`registeredCluster`);
 * its kubeconfig (current context) or Argo CD's JSON config (bearer token or basic auth, CA or
 * insecure, client certificate) turned into a KubeConfig; then the same Kube client the
 * controller uses for its own cluster. `probe` asks the API server for its version, which any
 * authenticated identity may read.
 */
import { KubeConfig } from '@kubernetes/client-node';
import {
  CLUSTER_SECRET_SELECTOR,
  isClusterProblem,
  parseClusterSecret,
  secretField,
  type ClusterSpec,
} from '../api/cluster.ts';
import { errorMessage } from '../errors.ts';
import { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import {
  DestinationError,
  resolveDestination,
  type Destination,
  type RegisteredCluster,
} from './destination.ts';

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

/** Reads a cluster Secret for the resolver; a Secret that cannot connect becomes a problem. */
export function registeredCluster(secret: KubeObject): RegisteredCluster {
  const parsed = parseClusterSecret(secret);
  if (isClusterProblem(parsed)) {
    const server = secretField(secret, 'server')?.trim() ?? '';
    return {
      secretName: parsed.secretName,
      name: secretField(secret, 'name')?.trim() || server,
      server,
      problem: parsed.message,
    };
  }
  const base = { secretName: parsed.secretName, name: parsed.name, server: parsed.server };
  const problem = checkConnectable(parsed);
  return problem ? { ...base, problem } : { ...base, spec: parsed };
}

/**
 * For one-shot commands (`sluice app diff`): a client for a destination, from the cluster Secrets
 * as they are now. Close it when done unless it is `local` (then it is `kube` itself).
 */
export async function connectDestination(
  kube: Kube,
  namespace: string,
  destination: Destination,
  owner: string,
): Promise<{ name: string; server: string; local: boolean; kube: Kube }> {
  // Secrets we may not read: only the local cluster can be resolved.
  const secrets = await kube
    .list('v1', 'Secret', { namespace, labelSelector: CLUSTER_SECRET_SELECTOR })
    .catch(() => ({ items: [] }));
  const r = resolveDestination(
    owner,
    destination,
    secrets.items.map(registeredCluster),
    kube.client.server,
  );
  if (r instanceof DestinationError) throw r;
  if (r.local) return { name: r.name, server: kube.client.server, local: true, kube };
  const remote = await connectCluster(r.cluster);
  return { name: r.name, server: r.cluster.server, local: false, kube: remote };
}
