/** Fake nodes: plain Node objects that kwok keeps Ready and whose pods it runs. */
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';

export function kwokNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '250' },
      capacity: { cpu: '32', memory: '256Gi', pods: '250' },
    },
  };
}

export async function createNodes(kc: KubeConfig, count: number): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const names = Array.from({ length: count }, (_, i) => `kwok-node-${i}`);
  await Promise.all(names.map((name) => core.createNode({ body: kwokNode(name) })));
  return names;
}

export async function readyNodes(kc: KubeConfig): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNode();
  return list.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}
