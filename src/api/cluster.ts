/**
 * Clusters other than the local one, registered as Secrets (Argo CD's model, with Sluice's label)
 * in the controller's namespace:
 *
 * ```yaml
 * apiVersion: v1
 * kind: Secret
 * metadata: { name: cluster-prod, namespace: sluice-system,
 *             labels: { sluice.dev/secret-type: cluster } }
 * stringData:
 *   name: prod                                  # what `destination.name` refers to
 *   server: https://prod.example.com:6443       # what `destination.server` refers to
 *   kubeconfig: |                               # a kubeconfig with one context (certs inline)
 *     ...
 *   # or, as Argo CD writes it:
 *   config: '{"bearerToken":"...","tlsClientConfig":{"caData":"<base64>","insecure":false}}'
 * ```
 *
 * This module is the contract between `sluice cluster add|list|rm` (which writes these Secrets)
 * and the controller runtime (which reads them); it holds no I/O.
 */
import type { KubeObject } from '../kube/types.ts';

export const SECRET_TYPE_LABEL = 'sluice.dev/secret-type';
export const CLUSTER_SECRET_SELECTOR = `${SECRET_TYPE_LABEL}=cluster`;

/** The local cluster, as `destination.server` names it (Argo CD's in-cluster address). */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** The local cluster, as `destination.name` names it. */
export const IN_CLUSTER_NAME = 'in-cluster';

/** Argo CD's `config` field of a cluster Secret (the parts Sluice uses). */
export interface ArgoClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: {
    caData?: string;
    certData?: string;
    keyData?: string;
    insecure?: boolean;
    serverName?: string;
  };
}

/** A registered cluster, as read from its Secret. */
export interface ClusterSpec {
  /** Name of the Secret that registered it. */
  secretName: string;
  name: string;
  server: string;
  /** How to connect: a whole kubeconfig, or Argo CD's JSON config. */
  auth: { kubeconfig: string } | { config: ArgoClusterConfig };
}

/** Why a cluster Secret cannot be used; `field` names what to fix. */
export interface ClusterSecretProblem {
  secretName: string;
  field: 'name' | 'server' | 'kubeconfig' | 'config';
  message: string;
}

/** A field of a Secret, from stringData or (base64) data. */
export function secretField(secret: KubeObject, key: string): string | undefined {
  const plain = (secret['stringData'] as Record<string, string> | undefined)?.[key];
  if (plain !== undefined) return plain;
  const b64 = (secret['data'] as Record<string, string> | undefined)?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

/** Reads a cluster Secret; a problem names the Secret and the field to fix. */
export function parseClusterSecret(secret: KubeObject): ClusterSpec | ClusterSecretProblem {
  const secretName = secret.metadata.name ?? '';
  const server = secretField(secret, 'server')?.trim();
  const name = secretField(secret, 'name')?.trim() || server;
  if (!server)
    return { secretName, field: 'server', message: `Secret ${secretName} has no server` };
  if (!name) return { secretName, field: 'name', message: `Secret ${secretName} has no name` };
  const auth = parseAuth(secret, secretName);
  return 'field' in auth ? auth : { secretName, name, server, auth };
}

/** How to connect: the kubeconfig field, else Argo CD's JSON `config`. */
function parseAuth(
  secret: KubeObject,
  secretName: string,
): ClusterSpec['auth'] | ClusterSecretProblem {
  const kubeconfig = secretField(secret, 'kubeconfig');
  if (kubeconfig?.trim()) return { kubeconfig };
  const raw = secretField(secret, 'config');
  if (!raw?.trim())
    return {
      secretName,
      field: 'kubeconfig',
      message: `Secret ${secretName} has neither kubeconfig nor config: nothing to connect with`,
    };
  try {
    const config = JSON.parse(raw) as unknown;
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new Error('not a JSON object');
    return { config };
  } catch (err) {
    return {
      secretName,
      field: 'config',
      message: `Secret ${secretName}: config is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

export function isClusterProblem(c: ClusterSpec | ClusterSecretProblem): c is ClusterSecretProblem {
  return 'field' in c;
}

/** The Secret `sluice cluster add` writes. */
export function clusterSecret(options: {
  namespace: string;
  name: string;
  server: string;
  kubeconfig: string;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `cluster-${options.name}`,
      namespace: options.namespace,
      labels: { [SECRET_TYPE_LABEL]: 'cluster' },
    },
    type: 'Opaque',
    stringData: { name: options.name, server: options.server, kubeconfig: options.kubeconfig },
  };
}
