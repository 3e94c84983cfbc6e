/**
 * Debian root filesystems made with debootstrap (`--variant=minbase`), from the host's own suite
 * and mirror, into a directory under the cache.
 *
 * A rootfs is built in `<dest>.partial-<pid>` and renamed into place when complete, so an
 * interrupted run never leaves half a system behind; downloaded packages are kept in one cache
 * directory shared by every rootfs. debootstrap mounts /proc and /sys inside the target while it
 * configures packages: anything left mounted by an interrupted run is unmounted before removal.
 */
import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execFile, tail } from '../../util/exec.ts';
import { formatDuration, type Progress } from '../../util/progress.ts';
import { DevClusterError } from '../errors.ts';

export interface RootfsSpec {
  suite: string;
  mirror: string;
  /** Extra packages (`--include`), with their dependencies. */
  include: readonly string[];
  /** Final directory of the rootfs. */
  dest: string;
  /** debootstrap's package cache (`--cache-dir`). */
  debCache: string;
  progress: Progress;
}

/**
 * What a container image does not need from a freshly bootstrapped system: downloaded packages,
 * package lists, logs, manuals, the host's DNS config and hostname (the runtime provides both),
 * device nodes (the runtime creates /dev).
 */
export const ROOTFS_PRUNE: readonly string[] = [
  'var/cache/apt/archives/*.deb',
  'var/cache/apt/*.bin',
  'var/lib/apt/lists/*',
  'var/cache/debconf/*-old',
  'var/lib/dpkg/*-old',
  'var/log/*',
  'usr/share/man/*',
  'usr/share/info/*',
  'dev/*',
  'run/*',
  'tmp/*',
  'etc/resolv.conf',
  'etc/hostname',
];

/** Mount points at or below `dir` in /proc/self/mountinfo text, deepest first (pure). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const m of mountsUnder(info, dir)) await execFile('umount', ['-l', m]);
}

async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A path pattern's last segment as a RegExp (`*` matches within a name; pure). */
export function segmentPattern(segment: string): RegExp {
  const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

/** Removes ROOTFS_PRUNE's paths from a rootfs (a `*` only in the last segment). */
async function prune(root: string): Promise<void> {
  for (const pattern of ROOTFS_PRUNE) {
    const dir = join(root, dirname(pattern));
    const re = segmentPattern(basename(pattern));
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((x) => re.test(x))) {
      await rm(join(dir, n), { recursive: true, force: true });
    }
  }
}

/** Reports debootstrap's `I:` lines (but not those naming the mirror) at most every 5 s. */
function progressReporter(progress: Progress, started: number): (chunk: Buffer) => void {
  let last = 0;
  return (chunk) => {
    const lines = chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('I: ') && !l.includes('://'));
    const latest = lines.at(-1);
    if (latest === undefined || Date.now() - last < 5000) return;
    last = Date.now();
    progress.detail(`debootstrap: ${latest.slice(3)} (${formatDuration(Date.now() - started)})`);
  };
}

/**
 * Removes what interrupted runs left (`<dest>.partial-<pid>`). Callers hold the image build
 * lock, so no other build is writing one.
 */
async function removeStalePartials(dest: string): Promise<void> {
  const prefix = `${basename(dest)}.partial-`;
  const names = await readdir(dirname(dest)).catch(() => [] as string[]);
  for (const n of names.filter((x) => x.startsWith(prefix)))
    await removeTree(join(dirname(dest), n));
}

/** Builds the rootfs unless `dest` already holds one (call with the image build lock held). */
export async function ensureRootfs(spec: RootfsSpec): Promise<void> {
  if (await exists(join(spec.dest, 'etc', 'debian_version'))) return;
  const partial = `${spec.dest}.partial-${process.pid}`;
  const logPath = `${spec.dest}.log`;
  await removeStalePartials(spec.dest);
  await mkdir(spec.debCache, { recursive: true });
  await mkdir(dirname(spec.dest), { recursive: true });
  const args = [
    '--variant=minbase',
    `--cache-dir=${spec.debCache}`,
    ...(spec.include.length > 0 ? [`--include=${spec.include.join(',')}`] : []),
    spec.suite,
    partial,
    spec.mirror,
  ];
  const started = Date.now();
  spec.progress.step(
    `debootstrap ${spec.suite} (minbase${spec.include.length > 0 ? ` + ${spec.include.join(', ')}` : ''}), first time ~30 s`,
  );
  const log = createWriteStream(logPath).on('error', () => undefined);
  const report = progressReporter(spec.progress, started);
  let r;
  try {
    r = await execFile('debootstrap', args, {
      timeoutMs: 30 * 60_000,
      onOutput: (c) => {
        log.write(c);
        report(c);
      },
    });
  } catch (cause) {
    throw new DevClusterError('ToolMissing', 'debootstrap is not installed', {
      cause,
      hint: "install Debian's debootstrap: `apt-get install debootstrap`",
    });
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
  if (r.code !== 0) {
    const inner = await readFile(join(partial, 'debootstrap', 'debootstrap.log'), 'utf8').catch(
      () => '',
    );
    await removeTree(partial);
    throw new DevClusterError(
      'BuildFailed',
      `debootstrap ${spec.suite} failed (exit ${r.code ?? r.signal})\n--- last lines ---\n${tail(inner || r.stdout + r.stderr, 15)}`,
      {
        logPath,
        hint: `read ${logPath}; a download error means the mirror was unreachable, so retry`,
      },
    );
  }
  await unmountUnder(partial);
  await prune(partial);
  await removeTree(spec.dest);
  await rename(partial, spec.dest);
  await rm(logPath, { force: true });
  spec.progress.detail(`debootstrap done in ${formatDuration(Date.now() - started)}`);
}

/** Deletes a rootfs (and anything an interrupted debootstrap left mounted in it). */
export async function removeRootfs(dest: string): Promise<void> {
  await removeTree(dest);
}
