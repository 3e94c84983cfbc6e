/**
 * Building images with Debian's buildah, without Docker, without running a container.
 *
 * Every image here is made the same way: `buildah from` (scratch, or a base pulled from a local
 * registry), `buildah mount` to get the container's root directory, files written into it from
 * the host, `buildah config`, `buildah commit`, `buildah push` to a registry. Nothing is run
 * inside the image, so no OCI runtime is needed (a `buildah run` would need raising rlimits,
 * which this machine refuses).
 *
 * Storage is `vfs` under the Sluice cache (`--root/--runroot`), never /var/lib/containers. Two
 * defaults buildah cannot be told to move are kept off the host too: as root it keeps its blob
 * info cache in /var/lib/containers/cache and network state in /run/containers. Each buildah
 * call therefore runs in a private mount namespace where /var/lib and /run are empty tmpfs
 * mounts that vanish with the process, and /var/lib/containers is our `state` directory bound
 * in (the blob info cache must persist: without it every push recompresses the base layers to
 * learn their digests). buildah reads only /etc/containers and our own directories.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, tail } from '../../util/exec.ts';
import { DevClusterError } from '../errors.ts';

export interface BuildahDirs {
  /** Image and container storage (`--root`). */
  root: string;
  /** Runtime state (`--runroot`). */
  runroot: string;
  /** Large temporary files (layer tarballs while committing and pushing). */
  tmp: string;
  /** What buildah keeps in /var/lib/containers as root (its blob info cache). */
  state: string;
}

/** The part of an OCI image config that Sluice's images set. */
export interface ImageConfig {
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  user?: string;
  workingDir?: string;
  env?: Readonly<Record<string, string>>;
  ports?: readonly number[];
  labels?: Readonly<Record<string, string>>;
}

/** Directories that must not hold the cache: they are hidden from buildah (see above). */
const HIDDEN = ['/var/lib/', '/run/', '/var/run/'];

/** Run as `sh -ec SCRIPT sh <state dir> buildah args...` inside `unshare --mount`. */
const NAMESPACE_SCRIPT = [
  'mount -t tmpfs -o mode=0755,size=16m sluice-buildah /var/lib',
  'mkdir /var/lib/containers',
  'mount --bind "$1" /var/lib/containers',
  'mount -t tmpfs -o mode=0755,size=16m sluice-buildah /run',
  'shift',
  'exec "$@"',
].join('\n');

/** `buildah config` flags for an image config (pure; tested). */
export function configArgs(cfg: ImageConfig): string[] {
  const args: string[] = [];
  if (cfg.entrypoint) args.push('--entrypoint', JSON.stringify(cfg.entrypoint));
  if (cfg.cmd) args.push('--cmd', JSON.stringify(cfg.cmd));
  if (cfg.user !== undefined) args.push('--user', cfg.user);
  if (cfg.workingDir !== undefined) args.push('--workingdir', cfg.workingDir);
  for (const [k, v] of Object.entries(cfg.env ?? {})) args.push('--env', `${k}=${v}`);
  for (const p of cfg.ports ?? []) args.push('--port', `${p}/tcp`);
  for (const [k, v] of Object.entries(cfg.labels ?? {})) args.push('--label', `${k}=${v}`);
  return args;
}

export function buildahDirs(imagesDir: string): BuildahDirs {
  return {
    root: join(imagesDir, 'buildah', 'root'),
    runroot: join(imagesDir, 'buildah', 'runroot'),
    tmp: join(imagesDir, 'buildah', 'tmp'),
    state: join(imagesDir, 'buildah', 'state'),
  };
}

export class Buildah {
  readonly dirs: BuildahDirs;

  constructor(dirs: BuildahDirs) {
    for (const d of Object.values(dirs)) {
      if (HIDDEN.some((h) => `${d}/`.startsWith(h))) {
        throw new DevClusterError(
          'BuildFailed',
          `images cannot be built with the Sluice cache under ${d}: buildah runs with /var/lib and /run hidden`,
          {
            hint: 'set SLUICE_CACHE_DIR to a directory elsewhere (the default is ~/.cache/sluice)',
          },
        );
      }
    }
    this.dirs = dirs;
  }

  /** Runs `buildah <args>` in its private mount namespace; resolves with stdout, trimmed. */
  async run(args: readonly string[], what: string): Promise<string> {
    await mkdir(this.dirs.tmp, { recursive: true });
    await mkdir(this.dirs.state, { recursive: true });
    const argv = [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-ec',
      NAMESPACE_SCRIPT,
      'sh',
      this.dirs.state,
      'buildah',
      '--storage-driver',
      'vfs',
      '--root',
      this.dirs.root,
      '--runroot',
      this.dirs.runroot,
      ...args,
    ];
    const env = { ...process.env, BUILDAH_ISOLATION: 'chroot', TMPDIR: this.dirs.tmp };
    let r;
    try {
      r = await execFile('unshare', argv, { env, timeoutMs: 15 * 60_000 });
    } catch (cause) {
      throw new DevClusterError('ToolMissing', `${what}: could not run unshare (util-linux)`, {
        cause,
        hint: 'install util-linux',
      });
    }
    if (r.code !== 0) throw buildahError(what, args, r.stderr);
    return r.stdout.trim();
  }

  /** A working container from `scratch` or an image (`docker://host:port/repo:tag`). */
  async from(image: string): Promise<string> {
    const pull = image.startsWith('docker://') ? ['--pull=always', '--tls-verify=false'] : [];
    const out = await this.run(
      ['from', '--isolation', 'chroot', '--quiet', ...pull, image],
      `starting a working container from ${image}`,
    );
    return lastLine(out);
  }

  /** The container's root directory on the host (vfs: a plain directory, nothing is mounted). */
  async mount(container: string): Promise<string> {
    return lastLine(await this.run(['mount', container], `mounting ${container}`));
  }

  async umount(container: string): Promise<void> {
    await this.run(['umount', container], `unmounting ${container}`);
  }

  async config(container: string, cfg: ImageConfig): Promise<void> {
    await this.run(['config', ...configArgs(cfg), container], `configuring ${container}`);
  }

  /** Commits and removes the working container; resolves with the image ID. */
  async commit(container: string, image: string): Promise<string> {
    const out = await this.run(
      ['commit', '--rm', '--quiet', '--format', 'oci', container, image],
      `committing ${image}`,
    );
    return lastLine(out);
  }

  /** Pushes a local image to `host:port/repo:tag` over plain HTTP. */
  async push(image: string, destination: string): Promise<void> {
    await this.run(
      ['push', '--quiet', '--tls-verify=false', image, `docker://${destination}`],
      `pushing ${image} to ${destination}`,
    );
  }

  /** True when buildah's storage holds a local image of that name. */
  async hasImage(name: string): Promise<boolean> {
    return this.run(['inspect', '--type', 'image', name], `inspecting ${name}`).then(
      () => true,
      () => false,
    );
  }

  /** Local images whose name starts with `prefix` (`localhost/sluice-build/sluice/runtime:`). */
  async images(prefix: string): Promise<string[]> {
    const out = await this.run(['images', '--format', '{{.Name}}:{{.Tag}}'], 'listing images');
    return out.split('\n').filter((n) => n.startsWith(prefix));
  }

  /** Removes images left without a name (an image rebuilt under the same name leaves one). */
  async pruneUnnamed(): Promise<void> {
    await this.run(['rmi', '--prune'], 'removing unnamed images').catch(() => undefined);
  }

  /** Removes containers and images, ignoring the ones already gone. */
  async remove(kind: 'rm' | 'rmi', names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.run([kind, ...names], `removing ${names.join(', ')}`).catch(() => undefined);
  }
}

function lastLine(out: string): string {
  return out.split('\n').at(-1) ?? '';
}

function buildahError(what: string, args: readonly string[], stderr: string): DevClusterError {
  return new DevClusterError(
    'BuildFailed',
    `${what} failed (buildah ${args[0] ?? ''})\n--- buildah said ---\n${tail(stderr, 15)}`,
    {
      hint: "the images are rebuilt on the next run; `rm -rf ~/.cache/sluice/images/buildah` resets buildah's storage",
    },
  );
}

/** Fails with a clear error unless buildah can work here: installed, and run as root. */
export async function requireBuildah(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new DevClusterError('BuildFailed', 'building images needs root', {
      hint: 'images are built with buildah (vfs storage, in a private mount namespace), which needs root; run as root',
    });
  }
  const r = await execFile('buildah', ['--version'], { timeoutMs: 30_000 }).catch(() => undefined);
  if (r?.code !== 0) {
    throw new DevClusterError(
      'ToolMissing',
      'buildah is not installed (no `buildah` on the PATH)',
      {
        hint: "install Debian's buildah: `apt-get install buildah` (Sluice builds images with it, without Docker)",
      },
    );
  }
}
