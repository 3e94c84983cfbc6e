/**
 * Sluice's own image: the `debian` image plus Debian's git, openssh-client, ca-certificates and
 * gpg, the pinned Node 24 binary, Sluice's sources with their production `node_modules`, and
 * the helm and kustomize binaries. Runs as 65532 (non-root), `node /app/bin/sluice.js controller`.
 *
 * Three layers, so a change to the sources rebuilds and ships only the last (~10 MB):
 * 1. the `debian` image's;
 * 2. the runtime (image `sluice/runtime`): the packages, Node, helm, kustomize, user `sluice`. The
 *    packages come from a second debootstrap (`minbase` + `--include`) kept under the cache: its
 *    tree replaces the debian image's and buildah commits the difference, so no package is
 *    installed by running anything in a container;
 * 3. the application (image `sluice/sluice`): /app.
 *
 * Files in the image:
 * ```
 * /usr/local/bin/node                              Node (node_modules/node/bin/node)
 * /app/{bin,src,package.json,package-lock.json}    Sources (tests left out)
 * /app/node_modules/                               Production dependencies (from package-lock.json)
 * /var/cache/sluice/bin/{helm,kustomize}/v*        Where Sluice looks for them (SLUICE_CACHE_DIR)
 * /var/cache/sluice/controller/                    The controller's git cache (mount a volume)
 * /home/sluice                                     HOME of user sluice (65532)
 * ```
 */
import {
  appendFile,
  chmod,
  chown,
  copyFile,
  cp,
  mkdir,
  readFile,
  realpath,
} from 'node:fs/promises';
import { join } from 'node:path';
import { TOOLS } from '../tools.ts';
import { cacheRoot } from '../paths.ts';
import { DevClusterError } from '../errors.ts';
import type { ImageConfig } from './buildah.ts';
import { hashFile, hashInputs, hashTag, treeInputs, type HashInput } from './hash.ts';

export const SLUICE_PACKAGES: readonly string[] = [
  'ca-certificates',
  'git',
  'gpg',
  'openssh-client',
];
export const SLUICE_REPO = 'sluice/sluice';
export const RUNTIME_REPO = 'sluice/runtime';
export const SLUICE_UID = 65532;
/** SLUICE_CACHE_DIR inside the image. */
export const IMAGE_CACHE_DIR = '/var/cache/sluice';
/** Bumped when this recipe changes. */
export const SLUICE_RECIPE = '1';

export const SLUICE_CONFIG: ImageConfig = {
  entrypoint: ['/usr/local/bin/node', '/app/bin/sluice.js'],
  cmd: ['controller'],
  user: `${SLUICE_UID}:${SLUICE_UID}`,
  workingDir: '/app',
  env: {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    NODE_ENV: 'production',
    HOME: '/home/sluice',
    SLUICE_CACHE_DIR: IMAGE_CACHE_DIR,
  },
  ports: [8080],
};

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** `node_modules/...` paths package-lock.json installs for production (pure). */
export function productionPackages(lockText: string): { path: string; optional: boolean }[] {
  const lock = JSON.parse(lockText) as {
    lockfileVersion?: number;
    packages?: Record<string, LockPackage>;
  };
  if (lock.packages === undefined || (lock.lockfileVersion ?? 0) < 2) {
    throw new DevClusterError(
      'BuildFailed',
      'package-lock.json has no "packages" map (lockfileVersion 2 or 3 needed)',
      {
        hint: 'regenerate it with npm 7 or newer',
      },
    );
  }
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional && !p.link)
    .map(([path, p]) => ({ path, optional: p.optional === true }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Sources that go into the image: bin/ and src/ without tests and test data helpers. */
export function isShippedSource(relative: string): boolean {
  return !/\.test\.ts$/.test(relative) && !relative.split('/').includes('testdata');
}

export interface SluiceInputs {
  repoRoot: string;
  version: string;
  nodeBinary: string;
  nodeVersion: string;
  tools: { name: string; binary: string; dir: string; version: string }[];
}

/** Where the inputs are on this machine: the repository, the Node binary, helm and kustomize. */
export async function sluiceInputs(repoRoot: string, root = cacheRoot()): Promise<SluiceInputs> {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const nodePkg = JSON.parse(
    await readFile(join(repoRoot, 'node_modules', 'node', 'package.json'), 'utf8').catch(
      () => '{}',
    ),
  ) as { version?: string };
  const nodeBinary = await realpath(join(repoRoot, 'node_modules', 'node', 'bin', 'node')).catch(
    () => {
      throw new DevClusterError(
        'ToolMissing',
        'the pinned Node binary is missing (node_modules/node/bin/node)',
        {
          hint: 'run `npm ci` first',
        },
      );
    },
  );
  const tools = TOOLS.filter((t) => t.name === 'helm' || t.name === 'kustomize').map((t) => ({
    name: t.name,
    binary: t.binaries[0] ?? t.name,
    dir: join(root, 'bin', t.name, `v${t.version}`),
    version: t.version,
  }));
  const nodeVersion = nodePkg.version ?? 'node';
  return { repoRoot, version: pkg.version, nodeBinary, nodeVersion, tools };
}

/** The runtime image's tag: `<node version>-<hash of its inputs>`. */
export async function runtimeTag(inputs: SluiceInputs, bases: readonly string[]): Promise<string> {
  const hash = hashInputs([
    ['recipe', SLUICE_RECIPE],
    ['bases', bases.join(',')],
    ['node', await hashFile(inputs.nodeBinary)],
    ...inputs.tools.map((t): HashInput => [t.name, t.version]),
  ]);
  return hashTag(inputs.nodeVersion, hash);
}

/** The image's tag: `<package version>-<hash of the runtime and the application>`. */
export async function appTag(inputs: SluiceInputs, runtime: string): Promise<string> {
  const files: HashInput[] = [];
  for (const dir of ['bin', 'src']) {
    const tree = await treeInputs(join(inputs.repoRoot, dir), isShippedSource);
    files.push(...tree.map(([n, v]): HashInput => [`${dir}/${n}`, v]));
  }
  for (const f of ['package.json', 'package-lock.json'])
    files.push([f, await readFile(join(inputs.repoRoot, f))]);
  return hashTag(
    inputs.version,
    hashInputs([['recipe', SLUICE_RECIPE], ['runtime', runtime], ...files]),
  );
}

/** Writes what the runtime adds to the Debian rootfs into `dir`: Node, tools, writable dirs. */
export async function writeRuntimeTree(inputs: SluiceInputs, dir: string): Promise<void> {
  await mkdir(join(dir, 'usr', 'local', 'bin'), { recursive: true });
  await copyFile(inputs.nodeBinary, join(dir, 'usr', 'local', 'bin', 'node'));
  await chmod(join(dir, 'usr', 'local', 'bin', 'node'), 0o755);
  for (const t of inputs.tools) {
    const dest = join(dir, IMAGE_CACHE_DIR, 'bin', t.name, `v${t.version}`);
    await mkdir(dest, { recursive: true });
    await copyFile(join(t.dir, t.binary), join(dest, t.binary)).catch((cause: unknown) => {
      throw new DevClusterError('ToolMissing', `${t.name} v${t.version} is not built (${t.dir})`, {
        cause,
        hint: 'run `npx sluice dev-cluster build` first (it builds helm and kustomize)',
      });
    });
    await chmod(join(dest, t.binary), 0o755);
  }
  for (const writable of [join(dir, IMAGE_CACHE_DIR, 'controller'), join(dir, 'home', 'sluice')]) {
    await mkdir(writable, { recursive: true, mode: 0o750 });
    await chown(writable, SLUICE_UID, SLUICE_UID);
  }
}

/** Writes /app into `dir`: sources without tests, package files, production node_modules. */
export async function writeAppTree(inputs: SluiceInputs, dir: string): Promise<void> {
  const app = join(dir, 'app');
  const keep = (root: string) => (src: string) => isShippedSource(src.slice(root.length + 1));
  for (const d of ['bin', 'src']) {
    const from = join(inputs.repoRoot, d);
    await cp(from, join(app, d), { recursive: true, filter: keep(from) });
  }
  for (const f of ['package.json', 'package-lock.json'])
    await copyFile(join(inputs.repoRoot, f), join(app, f));
  await copyProductionModules(inputs.repoRoot, app);
}

/** Copies the production packages of package-lock.json from the checkout's node_modules. */
async function copyProductionModules(repoRoot: string, app: string): Promise<void> {
  const lock = await readFile(join(repoRoot, 'package-lock.json'), 'utf8');
  for (const { path, optional } of productionPackages(lock)) {
    const from = join(repoRoot, path);
    const nested = join(from, 'node_modules');
    try {
      // A package's own node_modules holds other lock entries, copied on their own.
      await cp(from, join(app, path), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) => src !== nested && !src.startsWith(`${nested}/`),
      });
    } catch (cause) {
      if (optional) continue;
      throw new DevClusterError('BuildFailed', `${path} is missing from the checkout`, {
        cause,
        hint: 'run `npm ci` (the image takes its production dependencies from node_modules)',
      });
    }
  }
}

/** Adds user and group `sluice` (65532) to the image's /etc/passwd and /etc/group. */
export async function addSluiceUser(root: string): Promise<void> {
  await appendFile(
    join(root, 'etc', 'passwd'),
    `sluice:x:${SLUICE_UID}:${SLUICE_UID}:Sluice:/home/sluice:/usr/sbin/nologin\n`,
  );
  await appendFile(join(root, 'etc', 'group'), `sluice:x:${SLUICE_UID}:\n`);
}
