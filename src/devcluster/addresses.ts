/**
 * The dev cluster's address plan: everything comes from 198.18.0.0/15 (RFC 2544, reserved for
 * benchmarking), never from the private ranges a person's own networks use.
 *
 * ```
 * 198.18.<slot>.0/24      pods of the real node of the cluster in that slot (routed, real)
 * 198.19.0.0/17           pod IPs kwok hands out on fake nodes (never routed)
 * 198.19.128.0/18         Service ClusterIPs (every cluster: each real node has its own netns)
 * 198.19.254.1            the InternalIP kwok gives fake nodes (never routed)
 * 198.19.255.<4s>/30      the link between the host and the real node of slot s
 * ```
 *
 * A real node lives in its own network namespace, so kube-proxy's rules, IP forwarding and the
 * pods' bridge never touch the host's; one veth pair joins it to the host. Slots keep several
 * clusters with real nodes apart; 64 fit.
 */

export const SERVICE_CIDR = '198.19.128.0/18';
/** The `kubernetes` Service: first address of the Service range. */
export const KUBERNETES_SERVICE_IP = '198.19.128.1';
/** CoreDNS's ClusterIP (kubelet's `clusterDNS`). */
export const DNS_SERVICE_IP = '198.19.128.10';
export const CLUSTER_DOMAIN = 'cluster.local';
export const KWOK_POD_CIDR = '198.19.0.0/17';
export const KWOK_NODE_IP = '198.19.254.1';
export const MAX_SLOTS = 64;

export interface NodeNetwork {
  slot: number;
  /** Network namespace of the node (`ip netns` name). */
  netns: string;
  /** Host end of the veth pair (in the host's namespace). */
  hostInterface: string;
  /** Node end of the veth pair (inside the node's namespace). */
  nodeInterface: string;
  /** Host end's address: the node reaches the API server here. */
  hostIp: string;
  /** The node's InternalIP: kubelet, the registry, NodePorts. */
  nodeIp: string;
  /** Prefix length of the host-node link. */
  linkPrefix: number;
  /** The real node's pod range. */
  podCidr: string;
  /** The pods' bridge (inside the node's namespace) and its address, the pods' gateway. */
  bridge: string;
  gateway: string;
}

export function nodeNetwork(cluster: string, slot: number): NodeNetwork {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) {
    throw new RangeError(`node network slot ${slot} is outside 0..${MAX_SLOTS - 1}`);
  }
  return {
    slot,
    netns: `sluice-${cluster}`,
    hostInterface: `sluice${slot}`,
    nodeInterface: 'eth0',
    hostIp: `198.19.255.${slot * 4 + 1}`,
    nodeIp: `198.19.255.${slot * 4 + 2}`,
    linkPrefix: 30,
    podCidr: `198.18.${slot}.0/24`,
    bridge: 'cni0',
    gateway: `198.18.${slot}.1`,
  };
}

/** The lowest slot not in `taken`, or undefined when all are. */
export function freeSlot(taken: Iterable<number>): number | undefined {
  const used = new Set(taken);
  for (let s = 0; s < MAX_SLOTS; s++) if (!used.has(s)) return s;
  return undefined;
}

/** Whether an IPv4 address lies in a CIDR (`a.b.c.d/n`). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const toInt = (a: string): number =>
    a.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (toInt(ip) & mask) >>> 0 === (toInt(base ?? '') & mask) >>> 0;
}
