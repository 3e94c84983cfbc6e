/**
 * The real node's network: its own network namespace joined to the host by one veth pair.
 *
 * Inside: the pods' bridge (made by the CNI bridge plugin), IP forwarding and kube-proxy's
 * nftables — none of it touches the host's tables or settings. The node has no default route:
 * pods reach each other, Services, the API server and the registry, and nothing else.
 * On the host: the veth's end, a route to the node's pods, and one nftables table of ours that
 * lets the node reach the API server (which listens on 127.0.0.1 only): packets from the node to
 * `hostIp:<api port>` are DNATed to 127.0.0.1, allowed on that one interface by `route_localnet`.
 * `ip netns del` + `nft delete table` undo it all.
 */
import { writeFile } from 'node:fs/promises';
import { execFile, tail } from '../../util/exec.ts';
import { nodeNetwork, SERVICE_CIDR, type NodeNetwork } from '../addresses.ts';
import { DevClusterError } from '../errors.ts';

export const NSENTER = '/usr/bin/nsenter';

export function netnsPath(net: NodeNetwork): string {
  return `/var/run/netns/${net.netns}`;
}

/** The prefix that runs a command inside the node's network namespace. */
export function inNodeNetns(net: NodeNetwork): string[] {
  return [NSENTER, `--net=${netnsPath(net)}`, '--'];
}

/** Our nftables table on the host (family ip), named like the node's namespace. */
export function nftTable(net: NodeNetwork): string {
  return net.netns;
}

async function run(cmd: string, args: readonly string[], what: string): Promise<void> {
  let r;
  try {
    r = await execFile(cmd, args, { timeoutMs: 30_000 });
  } catch (err) {
    throw new DevClusterError('ToolMissing', `${cmd} is not installed (needed to ${what})`, {
      cause: err,
      hint: 'run `sluice dev-cluster doctor` to see what the real node needs',
    });
  }
  if (r.code !== 0) {
    throw new DevClusterError(
      'NetworkSetupFailed',
      `could not ${what}: \`${cmd} ${args.join(' ')}\` exited ${r.code}\n${tail(r.stderr, 5)}`,
      {
        hint: 'run `sluice dev-cluster doctor`; `sluice dev-cluster down` removes what was made',
      },
    );
  }
}

/** The nftables table that lets the node (and its pods) reach the API server on 127.0.0.1. */
export function nftRules(net: NodeNetwork, apiPort: number): string {
  return `table ip ${nftTable(net)} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "${net.hostInterface}" ip daddr ${net.hostIp} tcp dport ${apiPort} dnat to 127.0.0.1:${apiPort}
  }
}
`;
}

export async function createNodeNetwork(net: NodeNetwork, apiPort: number): Promise<void> {
  const ns = net.netns;
  const ip = (...args: string[]): Promise<void> => run('ip', args, `set up the node network`);
  await ip('netns', 'add', ns);
  await ip(
    'link',
    'add',
    net.hostInterface,
    'type',
    'veth',
    'peer',
    'name',
    net.nodeInterface,
    'netns',
    ns,
  );
  await ip('addr', 'add', `${net.hostIp}/${net.linkPrefix}`, 'dev', net.hostInterface);
  await ip('link', 'set', net.hostInterface, 'up');
  await writeFile(`/proc/sys/net/ipv4/conf/${net.hostInterface}/route_localnet`, '1\n');
  await ip('route', 'add', net.podCidr, 'via', net.nodeIp, 'dev', net.hostInterface);
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', ns, 'addr', 'add', `${net.nodeIp}/${net.linkPrefix}`, 'dev', net.nodeInterface);
  await ip('-n', ns, 'link', 'set', net.nodeInterface, 'up');
  // Local processes (kubelet probes, curl from the node) reach ClusterIPs: kube-proxy DNATs them.
  await ip('-n', ns, 'route', 'add', SERVICE_CIDR, 'via', net.hostIp, 'dev', net.nodeInterface);
  // Per-namespace settings: forwarding between pods and the link; bridged replies through
  // conntrack so a Service's reply from a pod on the same bridge is un-NATed.
  await run(
    NSENTER,
    [
      `--net=${netnsPath(net)}`,
      '--',
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.bridge.bridge-nf-call-iptables=1',
    ],
    'enable forwarding inside the node network namespace',
  );
  await runNft(nftRules(net, apiPort));
}

async function runNft(rules: string): Promise<void> {
  let r;
  try {
    r = await execFile('nft', ['-f', '-'], { input: rules, timeoutMs: 30_000 });
  } catch (err) {
    throw new DevClusterError('ToolMissing', 'nft is not installed', {
      cause: err,
      hint: 'apt-get install nftables',
    });
  }
  if (r.code !== 0) {
    throw new DevClusterError(
      'NetworkSetupFailed',
      `could not add the node's nftables rules: ${tail(r.stderr, 5)}`,
      { hint: 'run `sluice dev-cluster doctor`' },
    );
  }
}

/**
 * Removes everything createNodeNetwork made for a cluster; safe to call when some or none of it
 * exists. The veth pair (and the host's route through it) goes with the namespace.
 */
export async function deleteNodeNetwork(cluster: string): Promise<void> {
  const name = nodeNetwork(cluster, 0).netns;
  const quiet = { timeoutMs: 30_000 };
  const ns = await execFile('ip', ['netns', 'list'], quiet).catch(() => undefined);
  if (ns?.stdout.split('\n').some((l) => l.split(' ')[0] === name)) {
    await run('ip', ['netns', 'del', name], `delete network namespace ${name}`);
  }
  const tables = await execFile('nft', ['list', 'tables', 'ip'], quiet).catch(() => undefined);
  if (tables?.stdout.split('\n').some((l) => l.trim() === `table ip ${name}`)) {
    await run('nft', ['delete', 'table', 'ip', name], `delete nftables table ${name}`);
  }
}
