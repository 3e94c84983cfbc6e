/**
 * Content hashes of an image's inputs: an image is rebuilt exactly when one of them changes.
 *
 * An image's hash tag is `<prefix>-<first 12 hex of the hash>` (`busybox:1.35.0-3f9c0a1b2c4d`);
 * the stable tag (`busybox:latest`) points at the newest build.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One named input: a file's bytes, a version, a list of packages... */
export type HashInput = readonly [name: string, value: string | Buffer];

/** sha256 over the inputs in the order given; each is framed by its name and length. */
export function hashInputs(inputs: readonly HashInput[]): string {
  const h = createHash('sha256');
  for (const [name, value] of inputs) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** `<prefix>-<12 hex>`: a valid OCI tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`). */
export function hashTag(prefix: string, hash: string): string {
  return `${prefix.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash.slice(0, 12)}`;
}

/** sha256 of a file's bytes, streamed (the Node binary is 120 MB). */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Hash inputs for every file under `dir` (relative path → sha256 of its bytes, or the target of
 * a symlink, with the executable bit), sorted by path. `keep(relativePath)` filters.
 */
export async function treeInputs(
  dir: string,
  keep: (relative: string) => boolean = () => true,
): Promise<HashInput[]> {
  const out: HashInput[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (!keep(r)) continue;
      const full = join(dir, r);
      if (e.isDirectory()) await walk(r);
      else if (e.isSymbolicLink()) out.push([r, `-> ${await readlink(full)}`]);
      else if (e.isFile()) {
        const mode = (await lstat(full)).mode & 0o111 ? 'x' : '-';
        out.push([r, `${mode} ${await hashFile(full)}`]);
      }
    }
  };
  await walk('');
  return out;
}
