/**
 * The `busybox` image: FROM scratch, Debian's static busybox at /bin/busybox and one symlink per
 * applet at the path busybox itself gives (`busybox --list-full`), /etc/passwd and /etc/group
 * with root and nobody (65534), /root, and a world-writable /tmp. The default command is `sh`.
 */
import { copyFile, mkdir, readFile, symlink, writeFile, chmod, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execFile } from '../../util/exec.ts';
import { DevClusterError } from '../errors.ts';
import { hashFile, hashInputs, hashTag } from './hash.ts';
import type { ImageConfig } from './buildah.ts';

/** Where Debian's busybox-static puts the binary (merged /usr makes both the same file). */
const CANDIDATES = ['/usr/bin/busybox', '/bin/busybox'];

/** Bumped when this recipe changes, so images built by an older one are rebuilt. */
export const BUSYBOX_RECIPE = '1';

export const BUSYBOX_CONFIG: ImageConfig = {
  cmd: ['sh'],
  env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  labels: { 'org.opencontainers.image.title': 'busybox (built by sluice dev-cluster images)' },
};

export const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
export const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** Applet paths from `busybox --list-full` (relative, e.g. `usr/bin/awk`), minus busybox itself. */
export function parseAppletList(text: string): string[] {
  const paths = new Set<string>();
  for (const raw of text.split('\n')) {
    const p = raw.trim().replace(/^\/+/, '');
    if (p === '' || p === 'bin/busybox') continue;
    if (!/^[A-Za-z0-9_.[\]/-]+$/.test(p) || p.split('/').some((s) => s === '..' || s === '')) {
      throw new DevClusterError(
        'BuildFailed',
        `busybox listed an unexpected applet path: ${JSON.stringify(raw)}`,
      );
    }
    paths.add(p);
  }
  return [...paths].sort();
}

/** `1.35.0` from busybox's banner (`BusyBox v1.35.0 (Debian 1:1.35.0-4) multi-call binary.`). */
export function busyboxVersion(banner: string): string | undefined {
  return /BusyBox v(\d+(?:\.\d+)+)/.exec(banner)?.[1];
}

/** True for an ELF file without a program interpreter (statically linked). */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.toString('latin1', 0, 4) !== '\x7fELF' || bytes[4] !== 2)
    return false;
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(off) === 3) return false; // PT_INTERP
  }
  return true;
}

/** The static busybox binary of this machine, or a clear error. */
export async function findBusybox(): Promise<string> {
  for (const c of CANDIDATES) {
    const ok = await access(c).then(
      () => true,
      () => false,
    );
    if (ok && isStaticElf(await readFile(c))) return c;
  }
  throw new DevClusterError('ToolMissing', 'no static busybox on this machine (/usr/bin/busybox)', {
    hint: "install Debian's busybox-static: `apt-get install busybox-static` (the busybox image is FROM scratch, so it needs the static build)",
  });
}

/** The hash tag of the image this machine's busybox makes (`1.35.0-<12 hex>`). */
export async function busyboxTag(binary: string): Promise<string> {
  const banner = (await execFile(binary, ['--help'])).stdout;
  const version = busyboxVersion(banner) ?? 'unknown';
  return hashTag(
    version,
    hashInputs([
      ['recipe', BUSYBOX_RECIPE],
      ['busybox', await hashFile(binary)],
    ]),
  );
}

/** Writes the image's root filesystem into `dir` (which must be empty or absent). */
export async function writeBusyboxTree(binary: string, dir: string): Promise<void> {
  const list = await execFile(binary, ['--list-full']);
  const applets = parseAppletList(list.stdout);
  if (list.code !== 0 || applets.length === 0) {
    throw new DevClusterError('BuildFailed', `${binary} --list-full listed no applets`);
  }
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(binary, join(dir, 'bin', 'busybox'));
  await chmod(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of applets) {
    await mkdir(dirname(join(dir, a)), { recursive: true });
    await symlink('/bin/busybox', join(dir, a));
  }
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(join(dir, 'etc', 'passwd'), PASSWD, { mode: 0o644 });
  await writeFile(join(dir, 'etc', 'group'), GROUP, { mode: 0o644 });
  await mkdir(join(dir, 'root'), { mode: 0o700 });
  await mkdir(join(dir, 'tmp'));
  await chmod(join(dir, 'tmp'), 0o1777);
}
