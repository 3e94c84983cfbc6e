/**
 * The real node's cgroup: one directory per hierarchy (`/sys/fs/cgroup/<h>/sluice-<cluster>`),
 * holding the node's own processes (`node/`) and, through kubelet's `cgroupRoot`, every pod.
 * `down` freezes it, kills everything inside, waits until it is empty and removes it, so no
 * container or shim outlives its cluster even when containerd or kubelet crashed.
 */
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DevClusterError } from '../errors.ts';

export const CGROUP_FS = '/sys/fs/cgroup';

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The mounted hierarchies: every v1 controller directory, or the one v2 tree. */
export async function hierarchies(root = CGROUP_FS): Promise<string[]> {
  try {
    await stat(join(root, 'cgroup.procs'));
    return [root];
  } catch {
    // cgroup v1: one directory per controller below
  }
  const out: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    // The hybrid layout's cgroup2 mount at "unified" counts too: runc mirrors cgroups there.
    const h = join(root, name);
    if (await isDir(h)) {
      try {
        await stat(join(h, 'cgroup.procs'));
        out.push(h);
      } catch {
        // a symlink like cpu,cpuacct or something that is not a hierarchy
      }
    }
  }
  return out;
}

/** Creates `<h>/<cg>/node` in every hierarchy (cpuset needs its CPUs and memory nodes copied). */
export async function createNodeCgroup(cg: string): Promise<void> {
  for (const h of await hierarchies()) {
    await mkdir(join(h, cg, 'node'), { recursive: true });
    if (h.endsWith('/cpuset')) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const value = await readFile(join(h, f), 'utf8');
        await writeFile(join(h, cg, f), value);
        await writeFile(join(h, cg, 'node', f), value);
      }
    }
  }
}

/** Every cgroup directory under `<h>/<cg>`, deepest first. */
async function subtree(dir: string): Promise<string[]> {
  if (!(await isDir(dir))) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await subtree(join(dir, entry.name))));
  }
  out.push(dir);
  return out;
}

async function pidsIn(dirs: readonly string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of dirs) {
    const text = await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.trim() !== '') pids.add(Number(line));
  }
  return [...pids];
}

/** The PIDs still inside the node's cgroup, in any hierarchy. */
export async function nodeCgroupPids(cg: string): Promise<number[]> {
  const dirs: string[] = [];
  for (const h of await hierarchies()) dirs.push(...(await subtree(join(h, cg))));
  return pidsIn(dirs);
}

async function setFreezer(cg: string, state: 'FROZEN' | 'THAWED'): Promise<void> {
  const file = join(CGROUP_FS, 'freezer', cg, 'freezer.state');
  await writeFile(file, state).catch(() => undefined);
}

/**
 * Kills every process in the node's cgroup (containers, shims, containerd, kubelet...) and
 * removes the cgroup from every hierarchy. Frozen first, so nothing forks while it is killed.
 */
export async function destroyNodeCgroup(cg: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await nodeCgroupPids(cg);
    if (pids.length === 0) break;
    if (Date.now() > deadline) {
      throw new DevClusterError(
        'NodeCleanupFailed',
        `processes ${pids.join(', ')} in cgroup ${cg} did not exit after SIGKILL`,
        {
          hint: `see \`ps -o pid,stat,cmd -p ${pids.join(',')}\`; run \`sluice dev-cluster down\` again`,
        },
      );
    }
    await setFreezer(cg, 'FROZEN');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await setFreezer(cg, 'THAWED');
    await sleep(50);
  }
  for (const h of await hierarchies()) {
    for (const dir of await subtree(join(h, cg))) await removeCgroupDir(dir);
  }
}

/** rmdir a cgroup; one whose last process just died may be busy for a moment. */
async function removeCgroupDir(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await sleep(20);
    }
  }
  throw new DevClusterError('NodeCleanupFailed', `cgroup ${dir} could not be removed`, {
    hint: `see \`cat ${dir}/cgroup.procs\`; run \`sluice dev-cluster down\` again`,
  });
}

/** Names of `sluice-*` cgroups left in any hierarchy (for `doctor` and the teardown test). */
export async function leftoverCgroups(): Promise<string[]> {
  const out = new Set<string>();
  for (const h of await hierarchies()) {
    for (const name of await readdir(h).catch(() => [] as string[])) {
      if (name.startsWith('sluice-') && (await isDir(join(h, name)))) out.add(name);
    }
  }
  return [...out].sort();
}
