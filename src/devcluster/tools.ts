/**
 * The binaries a dev cluster needs, each pinned to one version and built from Go modules.
 *
 * Kubernetes is the one that needs care: `k8s.io/kubernetes` replaces its staging modules with
 * relative paths, which Go ignores in a dependency. The wrapper module restores them by replacing
 * every `k8s.io/<staging>` with the published `v0.<minor>.<patch>` release of the same tag.
 * etcd's server module has relative replaces too, so it also gets a wrapper. kwok, helm and
 * kustomize install cleanly with `go install pkg@version`.
 *
 * The real node's binaries: kubelet and kube-proxy (same wrapper and version as the control
 * plane), containerd 2 with its runc shim (Debian's 1.6 is too old for Kubernetes 1.36), the CNI
 * plugins the node's bridge network needs, CoreDNS, and the pods' `pause` process (this
 * repository's images/pause). runc, iptables and nft come from Debian.
 *
 * Not a binary: the Gateway API CRDs (standard channel), taken from their Go module's
 * `config/crd/standard` and installed by gateway-api.ts.
 */

export type ToolName =
  | 'kubernetes'
  | 'etcd'
  | 'kwok'
  | 'helm'
  | 'kustomize'
  | 'kubernetes-node'
  | 'containerd'
  | 'cni-plugins'
  | 'coredns'
  | 'pause'
  | 'gateway-api';

export interface Tool {
  name: ToolName;
  version: string;
  /** Binaries the build leaves in the tool's bin directory. */
  binaries: readonly string[];
  /** Go packages to build (main packages); none: the tool is only its `assets`. */
  packages: readonly string[];
  /** go.mod of the wrapper module, or undefined to `go install pkg@version` directly. */
  wrapperGoMod?: string;
  ldflags: readonly string[];
  /**
   * Files copied out of the tool's Go module after the build, concatenated into one file in the
   * bin directory (kwok's Stage manifests, which v0.8 no longer embeds).
   */
  assets?: { module: string; dirs: readonly string[]; file: string };
  /** A main package of this repository (its own go.mod, standard library only), built in place. */
  localSource?: string;
}

export const KUBERNETES_VERSION = '1.36.3';
export const ETCD_VERSION = '3.6.16';
export const KWOK_VERSION = '0.8.0';
export const HELM_VERSION = '3.22.0';
export const KUSTOMIZE_VERSION = '5.8.2';
export const CONTAINERD_VERSION = '2.4.2';
export const CNI_PLUGINS_VERSION = '1.10.0';
export const COREDNS_VERSION = '1.15.0';
/** v1.7 needs a newer Go than the machine's; keep to 1.6.x. */
export const GATEWAY_API_VERSION = '1.6.3';
/** Bump when images/pause/main.go changes. */
export const PAUSE_VERSION = '1.0.0';

/** The `./staging/src/k8s.io/*` replaces of k8s.io/kubernetes' go.mod at the pinned tag. */
const KUBERNETES_STAGING = [
  'api',
  'apiextensions-apiserver',
  'apimachinery',
  'apiserver',
  'cli-runtime',
  'client-go',
  'cloud-provider',
  'cluster-bootstrap',
  'code-generator',
  'component-base',
  'component-helpers',
  'controller-manager',
  'cri-api',
  'cri-client',
  'cri-streaming',
  'csi-translation-lib',
  'dynamic-resource-allocation',
  'endpointslice',
  'externaljwt',
  'kms',
  'kube-aggregator',
  'kube-controller-manager',
  'kube-proxy',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'metrics',
  'mount-utils',
  'pod-security-admission',
  'sample-apiserver',
  'sample-cli-plugin',
  'sample-controller',
  'streaming',
] as const;

export function kubernetesGoMod(version: string): string {
  const [, minor, patch] = version.split('.');
  const staging = KUBERNETES_STAGING.map(
    (m) => `\tk8s.io/${m} => k8s.io/${m} v0.${minor}.${patch}`,
  ).join('\n');
  return [
    'module sluice.dev/devcluster/kubernetes',
    '',
    'go 1.26.0',
    '',
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    staging,
    ')',
    '',
  ].join('\n');
}

/** The -X flags `hack/lib/version.sh` stamps, so `kubectl version` reports the real release. */
export function kubernetesLdflags(version: string): string[] {
  const [major, minor] = version.split('.');
  const vars: Record<string, string> = {
    gitVersion: `v${version}`,
    gitMajor: major ?? '1',
    gitMinor: minor ?? '0',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
  };
  return ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version'].flatMap((pkg) =>
    Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`),
  );
}

export const TOOLS: readonly Tool[] = [
  {
    name: 'etcd',
    version: ETCD_VERSION,
    binaries: ['etcd'],
    packages: ['go.etcd.io/etcd/server/v3'],
    wrapperGoMod: [
      'module sluice.dev/devcluster/etcd',
      '',
      'go 1.26.0',
      '',
      `require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}`,
      '',
    ].join('\n'),
    ldflags: [],
  },
  {
    name: 'kubernetes',
    version: KUBERNETES_VERSION,
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'],
    packages: [
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kubectl',
    ],
    wrapperGoMod: kubernetesGoMod(KUBERNETES_VERSION),
    ldflags: kubernetesLdflags(KUBERNETES_VERSION),
  },
  {
    name: 'kwok',
    version: KWOK_VERSION,
    binaries: ['kwok', 'kwok-stages.yaml'],
    packages: ['sigs.k8s.io/kwok/cmd/kwok'],
    ldflags: [],
    // The stages kwokctl uses by default: nodes turn Ready and keep a Lease; pods run fast.
    assets: {
      module: `sigs.k8s.io/kwok@v${KWOK_VERSION}`,
      dirs: [
        'kustomize/stage/node/fast',
        'kustomize/stage/node/heartbeat-with-lease',
        'kustomize/stage/pod/fast',
      ],
      file: 'kwok-stages.yaml',
    },
  },
  {
    name: 'helm',
    version: HELM_VERSION,
    binaries: ['helm'],
    packages: ['helm.sh/helm/v3/cmd/helm'],
    ldflags: [],
  },
  {
    name: 'kustomize',
    version: KUSTOMIZE_VERSION,
    binaries: ['kustomize'],
    packages: ['sigs.k8s.io/kustomize/kustomize/v5'],
    ldflags: [],
  },
  {
    name: 'kubernetes-node',
    version: KUBERNETES_VERSION,
    binaries: ['kubelet', 'kube-proxy'],
    packages: ['k8s.io/kubernetes/cmd/kubelet', 'k8s.io/kubernetes/cmd/kube-proxy'],
    wrapperGoMod: kubernetesGoMod(KUBERNETES_VERSION),
    ldflags: kubernetesLdflags(KUBERNETES_VERSION),
  },
  {
    name: 'containerd',
    version: CONTAINERD_VERSION,
    binaries: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
    packages: [
      'github.com/containerd/containerd/v2/cmd/containerd',
      'github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2',
      'github.com/containerd/containerd/v2/cmd/ctr',
    ],
    ldflags: [`-X github.com/containerd/containerd/v2/version.Version=v${CONTAINERD_VERSION}`],
  },
  {
    name: 'cni-plugins',
    version: CNI_PLUGINS_VERSION,
    binaries: ['bridge', 'host-local', 'loopback', 'portmap'],
    packages: [
      'github.com/containernetworking/plugins/plugins/main/bridge',
      'github.com/containernetworking/plugins/plugins/ipam/host-local',
      'github.com/containernetworking/plugins/plugins/main/loopback',
      'github.com/containernetworking/plugins/plugins/meta/portmap',
    ],
    ldflags: [],
  },
  {
    name: 'coredns',
    version: COREDNS_VERSION,
    binaries: ['coredns'],
    packages: ['github.com/coredns/coredns'],
    ldflags: [],
  },
  {
    name: 'pause',
    version: PAUSE_VERSION,
    binaries: ['pause'],
    packages: ['.'],
    localSource: 'images/pause',
    ldflags: [],
  },
  {
    name: 'gateway-api',
    version: GATEWAY_API_VERSION,
    binaries: ['gateway-api-crds.yaml'],
    packages: [],
    ldflags: [],
    assets: {
      module: `sigs.k8s.io/gateway-api@v${GATEWAY_API_VERSION}`,
      dirs: ['config/crd/standard'],
      file: 'gateway-api-crds.yaml',
    },
  },
];
