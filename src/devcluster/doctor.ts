/**
 * `sluice dev-cluster doctor`: what this machine needs for a dev cluster with a real node, each
 * requirement checked on its own, with what is missing and how to get it.
 * `up --real-nodes 1` runs the same checks first and refuses to start when a required one fails.
 */
import { access, readFile, statfs } from 'node:fs/promises';
import { constants } from 'node:fs';
import { execFile } from '../util/exec.ts';
import { DevClusterError } from './errors.ts';
import { hierarchies, leftoverCgroups } from './node/cgroups.ts';
import { RUNC } from './node/node.ts';
import { cacheRoot } from './paths.ts';

export interface Check {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** How to fix it, when not ok. */
  fix?: string;
  /** A failed required check stops `up --real-nodes 1`; the others are warnings. */
  required: boolean;
}

async function runs(cmd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const r = await execFile(cmd, args, { timeoutMs: 10_000 });
    return r.code === 0 ? (r.stdout + r.stderr).trim().split('\n')[0] : undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function program(
  name: string,
  cmd: string,
  args: readonly string[],
  pkg: string,
  required = true,
): Promise<Check> {
  return runs(cmd, args).then((v) => ({
    name,
    ok: v !== undefined,
    detail: v ?? `${cmd} not found`,
    ...(v === undefined ? { fix: `apt-get install ${pkg}` } : {}),
    required,
  }));
}

async function cgroupCheck(): Promise<Check> {
  const hs = (await hierarchies().catch(() => [] as string[])).map((h) => h.split('/').pop());
  const v2 = hs.length === 1 && hs[0] === 'cgroup';
  const needed = ['cpu', 'memory', 'pids', 'freezer', 'cpuset'];
  const missing = v2 ? [] : needed.filter((n) => !hs.includes(n));
  return {
    name: 'cgroups',
    ok: hs.length > 0 && missing.length === 0,
    detail: v2 ? 'cgroup v2' : `cgroup v1: ${hs.join(', ') || 'none mounted'}`,
    ...(missing.length > 0
      ? { fix: `mount the cgroup v1 controllers ${missing.join(', ')} under /sys/fs/cgroup` }
      : {}),
    required: true,
  };
}

async function diskCheck(): Promise<Check> {
  const root = cacheRoot();
  const probePath = (await exists(root)) ? root : '/';
  const s = await statfs(probePath);
  const freeGiB = (s.bavail * s.bsize) / 2 ** 30;
  return {
    name: 'disk',
    ok: freeGiB >= 2,
    detail: `${freeGiB.toFixed(1)} GiB free at ${probePath}`,
    ...(freeGiB < 2 ? { fix: 'free at least 2 GiB (images and containers live there)' } : {}),
    required: true,
  };
}

async function simple(
  name: string,
  ok: boolean,
  detail: string,
  fix: string,
  required = true,
): Promise<Check> {
  return Promise.resolve({ name, ok, detail, ...(ok ? {} : { fix }), required });
}

export async function runChecks(): Promise<Check[]> {
  const root = process.getuid?.() === 0;
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  const brNetfilter = await exists('/proc/sys/net/bridge/bridge-nf-call-iptables');
  const leftovers = await leftoverCgroups().catch(() => [] as string[]);
  return Promise.all([
    simple(
      'root',
      root,
      root ? 'running as root' : 'not root',
      'run as root: the node needs network namespaces and cgroups',
    ),
    program('runc', RUNC, ['--version'], 'runc'),
    program('nft', 'nft', ['--version'], 'nftables'),
    program('iptables', 'iptables', ['--version'], 'iptables', false),
    program('ip', 'ip', ['-V'], 'iproute2'),
    program('nsenter', '/usr/bin/nsenter', ['--version'], 'util-linux'),
    program('registry', 'docker-registry', ['--version'], 'docker-registry'),
    program('openssl', 'openssl', ['version'], 'openssl'),
    cgroupCheck(),
    simple(
      'overlayfs',
      /\toverlay$/m.test(filesystems),
      /\toverlay$/m.test(filesystems) ? 'overlay filesystem available' : 'no overlay filesystem',
      'modprobe overlay',
    ),
    simple(
      'br_netfilter',
      brNetfilter,
      brNetfilter ? 'bridged traffic passes netfilter' : 'net.bridge.* sysctls missing',
      'modprobe br_netfilter (Services answered by a pod on the same node need it)',
    ),
    simple(
      '/dev/kmsg',
      await exists('/dev/kmsg'),
      'kubelet watches it for OOM kills',
      'kubelet runs without OOM events',
      false,
    ),
    diskCheck(),
    simple(
      'leftovers',
      leftovers.length === 0,
      leftovers.length === 0 ? 'no stale sluice cgroups' : `stale cgroups: ${leftovers.join(', ')}`,
      'run `sluice dev-cluster down --name <cluster>` for each (the name follows "sluice-")',
      false,
    ),
  ]);
}

/** Throws a HostRequirement error naming every failed required check. */
export async function requireNodeHost(): Promise<void> {
  const failed = (await runChecks()).filter((c) => c.required && !c.ok);
  if (failed.length === 0) return;
  throw new DevClusterError(
    'HostRequirement',
    `this machine cannot run a real node:\n${failed.map((c) => `  - ${c.name}: ${c.detail} (fix: ${c.fix ?? '?'})`).join('\n')}`,
    {
      hint: 'fix the above (`sluice dev-cluster doctor` checks again), or start with --real-nodes 0 (kwok nodes only)',
    },
  );
}
