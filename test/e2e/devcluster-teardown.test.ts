/**
 * `down` leaves the machine as `up` found it, with a real node that ran containers: no process,
 * mount, network namespace, veth, bridge, nftables/iptables rule, cgroup, file or kernel setting
 * of the cluster's is left. Each is listed before `up` and after `down` and compared. Other tests
 * run clusters at the same time, so the lists are of what could be this cluster's: things named
 * after it or its network slot, and everything that belongs to nobody else (host iptables, host
 * kernel settings, mounts).
 * A crashed `up` is cleaned by the next `down` too: the second case kills `up` midway.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/api.ts';
import { clusterPaths } from '../../src/devcluster/paths.ts';
import type { ClusterState } from '../../src/devcluster/state.ts';
import { execFile } from '../../src/util/exec.ts';

const sluice = (...args: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', ...args], { timeoutMs: 180_000 });

const out = async (cmd: string, args: string[]): Promise<string> =>
  (await execFile(cmd, args, { timeoutMs: 30_000 })).stdout;

const HOST_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'net/ipv4/ip_forward',
  'net/netfilter/nf_conntrack_max',
];

/** Everything of the machine's that a cluster named `name` could leave behind. */
async function snapshot(name: string) {
  const mine = (line: string): boolean => line.includes(name);
  const procs: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
    if (mine(cmd) || mine(cgroup)) procs.push(`${pid} ${cmd.replaceAll('\0', ' ')}`);
  }
  const cgroups: string[] = [];
  for (const h of await readdir('/sys/fs/cgroup')) {
    for (const d of await readdir(`/sys/fs/cgroup/${h}`).catch(() => [] as string[])) {
      if (mine(d)) cgroups.push(`${h}/${d}`);
    }
  }
  const sysctls = await Promise.all(
    HOST_SYSCTLS.map(
      async (s) => `${s}=${(await readFile(`/proc/sys/${s}`, 'utf8').catch(() => '?')).trim()}`,
    ),
  );
  return {
    processes: procs,
    // Every mount of the host: the node's container mounts live in its own mount namespace.
    mounts: (await readFile('/proc/self/mounts', 'utf8'))
      .split('\n')
      .filter((l) => mine(l) || l.includes('/run/sluice-')),
    netns: (await out('ip', ['netns', 'list'])).split('\n').filter(mine),
    links: (await out('ip', ['-o', 'link', 'show']))
      .split('\n')
      .filter((l) => /: (sluice\d+|cni0)[@:]/.test(l)),
    nftables: (await out('nft', ['list', 'tables'])).split('\n').filter(mine),
    // Nothing of ours ever goes into the host's iptables: compare all of it (counters left out).
    iptables: (await out('iptables-save', []))
      .split('\n')
      .filter((l) => !l.startsWith('#') && !l.startsWith(':')),
    cgroups,
    files: [
      ...(await readdir(clusterPaths(name).dir).catch(() => [] as string[])),
      ...(await readdir(`/run/sluice-${name}`).catch(() => [] as string[])).map((f) => `/run/${f}`),
    ],
    sysctls,
  };
}

/** The snapshot once the kernel has reaped the last processes (a moment after SIGKILL). */
async function snapshotAfterDown(name: string): ReturnType<typeof snapshot> {
  let after = await snapshot(name);
  for (let i = 0; i < 50 && after.processes.length > 0; i++) {
    await sleep(100);
    after = await snapshot(name);
  }
  return after;
}

describe('dev-cluster down with a real node', () => {
  it('leaves no process, mount, namespace, link, rule, cgroup, file or setting behind', async () => {
    const name = `td-${process.pid}`;
    const before = await snapshot(name);
    try {
      const up = await sluice(
        'dev-cluster',
        'up',
        '--name',
        name,
        '--nodes',
        '1',
        '--real-nodes',
        '1',
      );
      expect(up.code, up.stderr).toBe(0);
      const state = JSON.parse(await readFile(clusterPaths(name).state, 'utf8')) as ClusterState;
      expect(state.realNode?.name).toBe('real-node-0');
      const k = await Kube.connect(clusterPaths(name).kubeconfig);
      try {
        // A pod that really runs (the pause image is on every node): containers, shims, a pod
        // network namespace, a veth on the bridge, overlay mounts.
        await k.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'sleeper', namespace: 'default' },
          spec: {
            nodeSelector: { 'sluice.dev/real-node': 'true' },
            tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
            containers: [{ name: 'c', image: 'sluice.dev/pause:1', imagePullPolicy: 'Never' }],
          },
        });
        for (let i = 0; i < 100; i++) {
          const pod = await k.get('v1', 'Pod', 'default', 'sleeper');
          if ((pod?.status as { phase?: string } | undefined)?.phase === 'Running') break;
          await sleep(200);
        }
        const pod = await k.get('v1', 'Pod', 'default', 'sleeper');
        expect((pod?.status as { phase?: string }).phase).toBe('Running');
      } finally {
        await k.close();
      }
      const during = await snapshot(name);
      // The snapshot sees the cluster while it runs (or the comparison below would prove nothing).
      expect(during.processes.length).toBeGreaterThan(5);
      expect(during.netns).toHaveLength(1);
      expect(during.cgroups.length).toBeGreaterThan(0);
      expect(during.nftables).toHaveLength(1);
    } finally {
      const down = await sluice('dev-cluster', 'down', '--name', name);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await snapshotAfterDown(name)).toEqual(before);
  });

  it('cleans up after an `up` that was killed midway', async () => {
    const name = `crash-${process.pid}`;
    const before = await snapshot(name);
    const child = spawn(
      process.execPath,
      ['bin/sluice.js', 'dev-cluster', 'up', '--name', name, '--nodes', '1'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Killed once the real node is being started: processes, namespaces and cgroups exist.
    // The control plane comes first; on a loaded machine that alone can take a minute.
    for (let i = 0; i < 1800 && !stderr.includes('real node real-node-0'); i++) await sleep(50);
    expect(stderr).toContain('real node real-node-0');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    try {
      const during = await snapshot(name);
      expect(during.netns).toHaveLength(1);
    } finally {
      const down = await sluice('dev-cluster', 'down', '--name', name);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await snapshotAfterDown(name)).toEqual(before);
  }, 300_000);
});
