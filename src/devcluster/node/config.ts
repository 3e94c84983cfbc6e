/**
 * The real node's configuration files, as pure functions of where things live: containerd's
 * config.toml and registry hosts, the CNI bridge network, kubelet's and kube-proxy's
 * configuration, CoreDNS's Corefile, and the node components' kubeconfigs.
 *
 * Choices that matter on these machines (see docs/adr/0007-real-node.md):
 * - cgroup v1 with the cgroupfs driver (`failCgroupV1: false`), everything under one cgroup
 *   root per cluster so `down` can find and kill every process;
 * - containerd may only *lower* limits (no CAP_SYS_RESOURCE): `restrict_oom_score_adj`;
 * - no NAT, no default route: pods reach each other, Services, the API server and the registry,
 *   nothing else; CoreDNS answers cluster names only (no upstream).
 */
import { CLUSTER_DOMAIN, DNS_SERVICE_IP, SERVICE_CIDR, type NodeNetwork } from '../addresses.ts';

export const REAL_NODE_NAME = 'real-node-0';
export const REAL_NODE_LABEL = 'sluice.dev/real-node';
export const REAL_NODE_TAINT = { key: REAL_NODE_LABEL, value: 'true', effect: 'NoSchedule' };
export const PAUSE_IMAGE = 'sluice.dev/pause:1';
export const REGISTRY_PORT = 5000;

export interface NodePaths {
  dir: string;
  /** Short paths for unix sockets (108-byte limit): under /run. */
  runDir: string;
  containerdRoot: string;
  containerdState: string;
  containerdConfig: string;
  containerdSocket: string;
  registryHosts: string;
  cniConfDir: string;
  cniIpamDir: string;
  kubeletRoot: string;
  kubeletConfig: string;
  podLogs: string;
  resolvConf: string;
  kubeProxyConfig: string;
  corefile: string;
  sysctlDir: string;
  launcher: string;
  kubeconfigs: string;
  pki: string;
}

export function nodePaths(clusterDir: string, cluster: string): NodePaths {
  const dir = `${clusterDir}/node`;
  const runDir = `/run/sluice-${cluster}`;
  return {
    dir,
    runDir,
    containerdRoot: `${dir}/containerd/root`,
    containerdState: `${runDir}/containerd`,
    containerdConfig: `${dir}/containerd/config.toml`,
    containerdSocket: `${runDir}/containerd.sock`,
    registryHosts: `${dir}/containerd/certs.d`,
    cniConfDir: `${dir}/cni/net.d`,
    cniIpamDir: `${dir}/cni/ipam`,
    kubeletRoot: `${dir}/kubelet`,
    kubeletConfig: `${dir}/kubelet.yaml`,
    podLogs: `${dir}/pod-logs`,
    resolvConf: `${dir}/resolv.conf`,
    kubeProxyConfig: `${dir}/kube-proxy.yaml`,
    corefile: `${dir}/Corefile`,
    sysctlDir: `${dir}/sysctl`,
    launcher: `${dir}/launch.sh`,
    kubeconfigs: `${dir}/kubeconfigs`,
    pki: `${dir}/pki`,
  };
}

/** The cgroup (in every v1 hierarchy) that holds the node's processes and its pods. */
export function cgroupRoot(cluster: string): string {
  return `sluice-${cluster}`;
}

export function containerdConfig(paths: NodePaths, cniBinDir: string, runc: string): string {
  return `# Written by sluice dev-cluster; regenerated at every start.
version = 3
root = "${paths.containerdRoot}"
state = "${paths.containerdState}"
disabled_plugins = [
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs",
]

[grpc]
  address = "${paths.containerdSocket}"

[ttrpc]
  address = "${paths.containerdSocket}.ttrpc"

[plugins]
  [plugins.'io.containerd.cri.v1.runtime']
    disable_apparmor = true
    # The process may lower limits but not raise them (no CAP_SYS_RESOURCE).
    restrict_oom_score_adj = true
    # Pods' network namespaces under containerd's state dir, not /var/run/netns.
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "${runc}"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["${cniBinDir}"]
      conf_dir = "${paths.cniConfDir}"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "${PAUSE_IMAGE}"
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = "${paths.registryHosts}"
`;
}

/** containerd's hosts.toml for the local registry: plain HTTP, pull and resolve. */
export function registryHostsToml(registry: string): string {
  return `server = "http://${registry}"

[host."http://${registry}"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
`;
}

export function cniConfig(net: NodeNetwork, ipamDir: string): string {
  const conf = {
    cniVersion: '1.0.0',
    name: 'sluice',
    plugins: [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: true,
        // No NAT: pod traffic never leaves the machine, so it never needs a host address.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: net.podCidr, gateway: net.gateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: ipamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, backend: 'nftables' },
    ],
  };
  return JSON.stringify(conf, null, 2) + '\n';
}

export interface KubeletConfigInput {
  paths: NodePaths;
  cluster: string;
  net: NodeNetwork;
  caCert: string;
  servingCert: { cert: string; key: string };
}

export function kubeletConfig(input: KubeletConfigInput): string {
  const { paths, net } = input;
  return `# Written by sluice dev-cluster; regenerated at every start.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# These machines have cgroup v1; kubelet 1.35+ refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${cgroupRoot(input.cluster)}
cgroupsPerQOS: true
containerRuntimeEndpoint: unix://${paths.containerdSocket}
address: ${net.nodeIp}
port: 10250
readOnlyPort: 0
healthzBindAddress: ${net.nodeIp}
healthzPort: 10248
tlsCertFile: ${input.servingCert.cert}
tlsPrivateKeyFile: ${input.servingCert.key}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${input.caCert}}
authorization:
  mode: Webhook
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS: [${DNS_SERVICE_IP}]
# Pods with dnsPolicy Default get no upstream resolver: nothing resolves outside the cluster.
resolvConf: ${paths.resolvConf}
podLogsDir: ${paths.podLogs}
protectKernelDefaults: false
serializeImagePulls: false
maxPods: 110
# A dev machine's disk and memory are shared with everything else: evict only in earnest.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
registerWithTaints:
- {key: ${REAL_NODE_TAINT.key}, value: "${REAL_NODE_TAINT.value}", effect: ${REAL_NODE_TAINT.effect}}
nodeStatusUpdateFrequency: 10s
syncFrequency: 10s
failSwapOn: false
`;
}

export function kubeProxyConfig(paths: NodePaths, net: NodeNetwork, nodeName: string): string {
  return `# Written by sluice dev-cluster; regenerated at every start.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# Its own nftables tables, inside the node's network namespace.
mode: nftables
clientConnection:
  kubeconfig: ${paths.kubeconfigs}/kube-proxy.yaml
hostnameOverride: ${nodeName}
bindAddress: ${net.nodeIp}
clusterCIDR: ${net.podCidr}
healthzBindAddress: ${net.nodeIp}:10256
metricsBindAddress: ${net.nodeIp}:10249
nodePortAddresses: [primary]
# Leave the machine's conntrack settings alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

export function corefile(paths: NodePaths, net: NodeNetwork): string {
  return `# Written by sluice dev-cluster: cluster names only, no upstream (no traffic leaves the machine).
.:53 {
    bind ${net.nodeIp}
    errors
    ready ${net.nodeIp}:8181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${paths.kubeconfigs}/coredns.yaml
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
}
`;
}

/** The Service range, routed from the node's namespace to the host link (kube-proxy DNATs first). */
export const SERVICE_ROUTE = SERVICE_CIDR;

/**
 * Kernel settings kubelet insists on (it writes them when they differ). They are global, so the
 * node's private mount namespace shows kubelet read-only files with the values it wants, and the
 * machine keeps its own.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/**
 * Every node process starts through this script: it joins the node's cgroup (so `down` finds it
 * and its children), and for containerd also shows kubelet's sysctl files in the node's private
 * mount namespace. Then it becomes the component (exec), so its PID and command line are the
 * component's own.
 */
export function launcherScript(): string {
  return `#!/bin/sh
# Written by sluice dev-cluster. Usage: launch.sh <cgroup> <sysctl dir or -> <binary> [args...]
set -eu
cg="$1"; sysctls="$2"; shift 2
for h in /sys/fs/cgroup/*/; do
  if [ -d "$h$cg/node" ]; then echo $$ > "$h$cg/node/cgroup.procs"; fi
done
if [ "$sysctls" != "-" ]; then
  for f in "$sysctls"/*; do
    name=$(basename "$f" | tr . /)
    mount --bind -o ro "$f" "/proc/sys/$name"
  done
fi
exec "$@"
`;
}
