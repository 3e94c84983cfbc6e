import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nodeNetwork } from '../addresses.ts';
import {
  cniConfig,
  containerdConfig,
  corefile,
  kubeletConfig,
  kubeProxyConfig,
  nodePaths,
  REAL_NODE_TAINT,
} from './config.ts';

const net = nodeNetwork('demo', 3);
const paths = nodePaths('/cache/clusters/demo', 'demo');

describe('real node configuration', () => {
  it('kubelet: cgroup v1 allowed, one cgroup root per cluster, the taint, cluster DNS', () => {
    const cfg = parse(
      kubeletConfig({
        paths,
        cluster: 'demo',
        net,
        caCert: '/pki/ca.crt',
        servingCert: { cert: '/pki/k.crt', key: '/pki/k.key' },
      }),
    ) as Record<string, unknown>;
    expect(cfg['failCgroupV1']).toBe(false);
    expect(cfg['cgroupRoot']).toBe('/sluice-demo');
    expect(cfg['address']).toBe(net.nodeIp);
    expect(cfg['clusterDNS']).toEqual(['198.19.128.10']);
    expect(cfg['registerWithTaints']).toEqual([REAL_NODE_TAINT]);
    expect(cfg['containerRuntimeEndpoint']).toBe(`unix://${paths.containerdSocket}`);
  });

  it('keeps unix sockets short enough for the kernel (108 bytes)', () => {
    const long = nodePaths(`/home/${'x'.repeat(60)}/.cache/sluice/clusters/a`, 'a'.repeat(40));
    expect(`${long.containerdSocket}.ttrpc`.length).toBeLessThan(108);
  });

  it('CNI: a bridge with no masquerading over the node pod range', () => {
    const conf = JSON.parse(cniConfig(net, '/ipam')) as {
      plugins: Array<{ type: string; ipMasq?: boolean; ipam?: { ranges: unknown } }>;
    };
    const bridge = conf.plugins.find((p) => p.type === 'bridge');
    expect(bridge?.ipMasq).toBe(false);
    expect(bridge?.ipam?.ranges).toEqual([[{ subnet: '198.18.3.0/24', gateway: '198.18.3.1' }]]);
  });

  it('kube-proxy: nftables inside the node, host conntrack settings left alone', () => {
    const cfg = parse(kubeProxyConfig(paths, net, 'real-node-0')) as {
      mode: string;
      conntrack: Record<string, unknown>;
      clusterCIDR: string;
    };
    expect(cfg.mode).toBe('nftables');
    expect(cfg.clusterCIDR).toBe(net.podCidr);
    expect(cfg.conntrack['maxPerCore']).toBe(0);
  });

  it('containerd: restricted OOM score, the pinned pause image, the runc binary', () => {
    const toml = containerdConfig(paths, '/cni/bin', '/usr/sbin/runc');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('sandbox = "sluice.dev/pause:1"');
    expect(toml).toContain('BinaryName = "/usr/sbin/runc"');
    expect(toml).toContain('bin_dirs = ["/cni/bin"]');
  });

  it('CoreDNS: cluster names only, no upstream resolver', () => {
    const text = corefile(paths, net);
    expect(text).toContain(`bind ${net.nodeIp}`);
    expect(text).not.toMatch(/forward|resolv\.conf/);
  });
});
