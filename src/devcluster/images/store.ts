/**
 * The image store: a registry storage directory under the cache (`<cache>/images/store`) that
 * keeps every image built here, so no cluster ever builds one twice.
 *
 * The store is read directly from disk to see what is built (fast: no registry to start). To
 * push into it, `withStoreRegistry` starts a throwaway registry on 127.0.0.1 over it. A cluster's
 * registry gets its own copy with `seedRegistryStore`.
 *
 * Layout (distribution's filesystem driver, v2):
 * ```
 * docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data                          content, by digest
 * docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/current/link  "sha256:<hex>"
 * docker/registry/v2/repositories/<repo>/_{layers,manifests/revisions}/...    links to blobs
 * ```
 */
import { randomBytes } from 'node:crypto';
import {
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Progress } from '../../util/progress.ts';
import { execFile, tail } from '../../util/exec.ts';
import { DevClusterError } from '../errors.ts';
import { freePort } from '../net.ts';
import { stopComponent, type RunningComponent } from '../process.ts';
import { REGISTRY_BINARY, registryConfig, startRegistry, waitRegistryReady } from '../registry.ts';

const V2 = join('docker', 'registry', 'v2');

export function blobPath(storeDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(storeDir, V2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** The digest a tag points at in a registry storage directory, or undefined. */
export async function tagDigest(
  storeDir: string,
  repo: string,
  tag: string,
): Promise<string | undefined> {
  const linkFile = join(
    storeDir,
    V2,
    'repositories',
    repo,
    '_manifests',
    'tags',
    tag,
    'current',
    'link',
  );
  try {
    const digest = (await readFile(linkFile, 'utf8')).trim();
    return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** True when `repo:tag` is in the store with its manifest (the registry checked its blobs). */
export async function storeHasTag(storeDir: string, repo: string, tag: string): Promise<boolean> {
  const digest = await tagDigest(storeDir, repo, tag);
  if (digest === undefined) return false;
  try {
    await (await open(blobPath(storeDir, digest), 'r')).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives a cluster's registry directory the store's images, fast and without doubling the disk.
 *
 * Blob data files are hard-linked; every other file (the small `link` files) is copied. Hard
 * links are safe for blobs only: docker-registry 2.8 writes a blob once, by renaming a finished
 * upload into place, and never writes an existing one again (it checks first), nor does garbage
 * collection (it unlinks). But its `PutContent` rewrites small files *in place* (open, truncate,
 * write): measured here, pushing `test:1` again to a `cp -al` copy changed the tag link of the
 * original too. So `link` files get their own inodes, and a cluster's pushes never reach the store.
 * Files already in `destDir` are replaced by the store's (through a rename, never in place).
 */
export async function seedRegistryStore(storeDir: string, destDir: string): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(storeDir, rel), { withFileTypes: true }).catch(() => []);
    await mkdir(join(destDir, rel), { recursive: true });
    for (const e of entries) {
      const r = join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name !== '_uploads') await walk(r);
      } else if (e.isFile()) {
        await placeFile(join(storeDir, r), join(destDir, r), isBlobData(r));
      }
    }
  };
  await walk('');
}

function isBlobData(rel: string): boolean {
  return rel.startsWith(join(V2, 'blobs') + '/') && rel.endsWith('/data');
}

/** Places one file; one that vanished meanwhile (pruned from the store) is skipped. */
async function placeFile(src: string, dest: string, hardLink: boolean): Promise<void> {
  const tmp = `${dest}.seed-${randomBytes(4).toString('hex')}`;
  try {
    if (hardLink) await link(src, tmp).catch(() => copyFile(src, tmp));
    else await copyFile(src, tmp);
    await rename(tmp, dest);
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Holds `<dir>/build.lock` while `fn` runs, so two builds (two clusters starting, two test
 * workers) never push into the store at once. A lock whose process is gone is taken over.
 */
export async function withBuildLock<T>(
  dir: string,
  progress: Progress,
  fn: () => Promise<T>,
): Promise<T> {
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, 'build.lock');
  let told = false;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch {
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (!(holder > 0 && alive(holder))) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!told) progress.step(`waiting for another image build to finish (pid ${holder})`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn(address)` with a registry serving the store on 127.0.0.1, stopped afterwards. Its
 * PID is recorded, so a registry left behind by a killed build is stopped by the next one.
 */
export async function withStoreRegistry<T>(
  storeDir: string,
  workDir: string,
  fn: (address: string) => Promise<T>,
): Promise<T> {
  const configPath = join(workDir, 'store-registry.yml');
  const record = join(workDir, 'store-registry.json');
  await stopLeftover(record, configPath);
  const address = `127.0.0.1:${await freePort()}`;
  const registry = await startRegistry({
    rootDir: storeDir,
    listen: address,
    log: join(workDir, 'store-registry.log'),
    configPath,
  });
  try {
    await writeFile(record, JSON.stringify(registry));
    await waitRegistryReady(address, registry);
    return await fn(address);
  } finally {
    await stopComponent(registry, 5000);
    await rm(record, { force: true });
  }
}

async function stopLeftover(record: string, configPath: string): Promise<void> {
  const text = await readFile(record, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const old = JSON.parse(text) as RunningComponent;
  const cmdline = await readFile(`/proc/${old.pid}/cmdline`, 'utf8').catch(() => '');
  // Only the store's own registry (its config path on the command line), never another one.
  if (cmdline.split('\0').includes(configPath)) await stopComponent(old, 5000);
  await rm(record, { force: true });
}

/** Tags of `repo` in the store, newest first (by when the tag was last pushed). */
export async function storeTags(storeDir: string, repo: string): Promise<string[]> {
  const dir = join(storeDir, V2, 'repositories', repo, '_manifests', 'tags');
  const tags = await readdir(dir).catch(() => [] as string[]);
  const dated = await Promise.all(
    tags.map(async (t) => {
      const s = await stat(join(dir, t, 'current', 'link')).catch(() => undefined);
      return { t, at: s?.mtimeMs ?? 0 };
    }),
  );
  return dated.sort((a, b) => b.at - a.at).map((d) => d.t);
}

/**
 * Keeps the newest `keep` tags of `repo` and frees what the others held (the registry's
 * garbage collector, run while no registry serves the store: call it with the build lock held).
 * Sluice's own image changes with every source change; its old builds would pile up.
 */
export async function pruneStore(
  storeDir: string,
  repo: string,
  keep: number,
  workDir: string,
): Promise<string[]> {
  const old = (await storeTags(storeDir, repo)).slice(keep);
  if (old.length === 0) return [];
  const tagsDir = join(storeDir, V2, 'repositories', repo, '_manifests', 'tags');
  for (const t of old) await rm(join(tagsDir, t), { recursive: true, force: true });
  const config = join(workDir, 'store-gc.yml');
  await writeFile(
    config,
    registryConfig({ rootDir: storeDir, listen: '127.0.0.1:0', secret: 'gc' }),
  );
  const r = await execFile(REGISTRY_BINARY, ['garbage-collect', '--delete-untagged', config], {
    timeoutMs: 10 * 60_000,
  });
  if (r.code !== 0) {
    throw new DevClusterError(
      'BuildFailed',
      `cleaning the image store failed\n${tail(r.stderr, 10)}`,
      {
        hint: `the store is a cache: remove ${storeDir} to start afresh`,
      },
    );
  }
  return old;
}
