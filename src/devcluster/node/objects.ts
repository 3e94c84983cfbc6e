/**
 * The API objects the real node needs: CoreDNS's read access, and the `kube-dns` Service whose
 * endpoint is CoreDNS on the node's address (CoreDNS runs beside kubelet, not as a pod, so DNS
 * works the moment the node does and needs no image).
 */
import {
  CoreV1Api,
  DiscoveryV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { DNS_SERVICE_IP, type NodeNetwork } from '../addresses.ts';

const MANAGED_BY = 'dev-cluster.sluice.dev';

function isConflict(err: unknown): boolean {
  return (err as { code?: number }).code === 409;
}

async function createOrKeep(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

export async function applyNodeObjects(kc: KubeConfig, net: NodeNetwork): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const labels = { 'app.kubernetes.io/managed-by': MANAGED_BY };
  await createOrKeep(() =>
    rbac.createClusterRole({
      body: {
        metadata: { name: 'sluice:coredns', labels },
        rules: [
          {
            apiGroups: [''],
            resources: ['endpoints', 'services', 'pods', 'namespaces'],
            verbs: ['list', 'watch'],
          },
          {
            apiGroups: ['discovery.k8s.io'],
            resources: ['endpointslices'],
            verbs: ['list', 'watch'],
          },
        ],
      },
    }),
  );
  await createOrKeep(() =>
    rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'sluice:coredns', labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'sluice:coredns',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'sluice:coredns' }],
      },
    }),
  );
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ];
  await createOrKeep(() =>
    core.createNamespacedService({
      namespace: 'kube-system',
      body: {
        metadata: {
          name: 'kube-dns',
          labels: { ...labels, 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
        },
        spec: { clusterIP: DNS_SERVICE_IP, ports },
      },
    }),
  );
  await createOrKeep(() =>
    discovery.createNamespacedEndpointSlice({
      namespace: 'kube-system',
      body: {
        metadata: {
          name: 'kube-dns',
          labels: {
            'kubernetes.io/service-name': 'kube-dns',
            'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
          },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [net.nodeIp], conditions: { ready: true } }],
        ports,
      },
    }),
  );
}

export async function nodeReady(kc: KubeConfig, name: string): Promise<boolean> {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name });
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
