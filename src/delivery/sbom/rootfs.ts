/**
 * An image's root filesystem as an SBOM needs it: every regular file with its size and SHA-256,
 * and the bytes of the few files that describe it (os-release, the dpkg and apk databases),
 * built from the image's layers in order or from a directory.
 *
 * Layers follow the OCI rules: a layer's `.wh.<name>` removes `<name>` of the layers below, and
 * `.wh..wh..opq` empties its directory of what the layers below put there. Whiteouts are applied
 * when a layer ends, so the order of entries inside a layer does not matter.
 *
 * @example
 * const fs = new RootfsIndex();
 * for (const layer of layers) await fs.addLayer(await openLayer(layer), layer.digest);
 * fs.files.get('usr/bin/env')?.sha256;
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { cleanPath, TarReader, type EntrySink, type TarEntry } from './tar.ts';

export interface FileRecord {
  path: string;
  size: number;
  mode: number;
  sha256: string;
}

/** Files whose content the SBOM reads (pure). */
export function isDescriptor(path: string): boolean {
  return (
    path === 'etc/os-release' ||
    path === 'usr/lib/os-release' ||
    path === 'var/lib/dpkg/status' ||
    /^var\/lib\/dpkg\/status\.d\/[^/]+(?<!\.md5sums)$/.test(path) ||
    /^var\/lib\/dpkg\/info\/[^/]+\.list$/.test(path) ||
    path === 'lib/apk/db/installed'
  );
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

interface Layer {
  files: Map<string, FileRecord>;
  captured: Map<string, Buffer>;
  /** Paths removed from the layers below (their subtrees too). */
  removed: string[];
  /** Directories emptied of what the layers below put there. */
  opaque: string[];
  hardlinks: Array<{ path: string; target: string; mode: number }>;
}

const under = (path: string, dir: string): boolean => path.startsWith(`${dir}/`);

function hashingSink(
  entry: TarEntry,
  onDone: (sha256: string, content: Buffer | undefined) => void,
): EntrySink {
  const hash = createHash('sha256');
  const keep = isDescriptor(entry.path);
  const parts: Buffer[] = [];
  return {
    data: (chunk) => {
      hash.update(chunk);
      if (keep) parts.push(Buffer.from(chunk));
    },
    end: () => onDone(hash.digest('hex'), keep ? Buffer.concat(parts) : undefined),
  };
}

export class RootfsIndex {
  readonly files = new Map<string, FileRecord>();
  readonly captured = new Map<string, Buffer>();

  /** A tar reader for the next layer; call `applyLayer` with its result when it has ended. */
  layerReader(name: string): { reader: TarReader; layer: Layer } {
    const layer: Layer = {
      files: new Map(),
      captured: new Map(),
      removed: [],
      opaque: [],
      hardlinks: [],
    };
    const reader = new TarReader((entry) => this.onEntry(layer, entry), name);
    return { reader, layer };
  }

  /** Adds one layer read from `chunks` (an uncompressed tar stream). */
  async addLayer(chunks: AsyncIterable<Buffer>, name: string): Promise<void> {
    const { reader, layer } = this.layerReader(name);
    for await (const chunk of chunks) reader.write(chunk);
    reader.end();
    this.applyLayer(layer);
  }

  private onEntry(layer: Layer, entry: TarEntry): EntrySink | undefined {
    const slash = entry.path.lastIndexOf('/');
    const base = entry.path.slice(slash + 1);
    const dir = slash < 0 ? '' : entry.path.slice(0, slash);
    if (base === OPAQUE) {
      layer.opaque.push(dir);
      return undefined;
    }
    if (base.startsWith(WHITEOUT)) {
      layer.removed.push((dir ? `${dir}/` : '') + base.slice(WHITEOUT.length));
      return undefined;
    }
    if (entry.type === 'hardlink') {
      layer.hardlinks.push({
        path: entry.path,
        target: cleanPath(entry.linkname),
        mode: entry.mode,
      });
      return undefined;
    }
    if (entry.type !== 'file') {
      // A directory, link or device over a file of a lower layer replaces it.
      if (entry.type !== 'dir') layer.removed.push(entry.path);
      return undefined;
    }
    return hashingSink(entry, (sha256, content) => {
      layer.files.set(entry.path, { path: entry.path, size: entry.size, mode: entry.mode, sha256 });
      if (content !== undefined) layer.captured.set(entry.path, content);
    });
  }

  /** Applies a finished layer over the ones below. */
  applyLayer(layer: Layer): void {
    const drop = (keep: (path: string) => boolean): void => {
      for (const map of [this.files, this.captured]) {
        for (const path of [...map.keys()]) if (!keep(path)) map.delete(path);
      }
    };
    for (const dir of layer.opaque) drop((p) => !under(p, dir));
    for (const gone of layer.removed) drop((p) => p !== gone && !under(p, gone));
    for (const [path, record] of layer.files) this.files.set(path, record);
    for (const [path, content] of layer.captured) this.captured.set(path, content);
    for (const link of layer.hardlinks) {
      const target = this.files.get(link.target);
      if (target) this.files.set(link.path, { ...target, path: link.path, mode: link.mode });
      const content = this.captured.get(link.target);
      if (content && isDescriptor(link.path)) this.captured.set(link.path, content);
    }
  }

  /** Indexes a directory tree (a rootfs on disk, a build context). Symlinks are not followed. */
  async addDirectory(root: string): Promise<void> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      const path = relative(root, full);
      const st = await lstat(full);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
      this.files.set(path, {
        path,
        size: st.size,
        mode: st.mode & 0o7777,
        sha256: hash.digest('hex'),
      });
      if (isDescriptor(path)) this.captured.set(path, await readFile(full));
    }
  }

  /** A captured file as text, or undefined. */
  text(path: string): string | undefined {
    return this.captured.get(path)?.toString('utf8');
  }

  /** Captured paths matching a pattern, sorted. */
  capturedMatching(pattern: RegExp): string[] {
    return [...this.captured.keys()].filter((p) => pattern.test(p)).sort();
  }
}
