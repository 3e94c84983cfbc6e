/**
 * The pods' sandbox image (`sluice.dev/pause:1`), made from the pause binary as an OCI image
 * archive and imported straight into the node's containerd at start: no registry, no pull, and
 * pinned so image garbage collection keeps it.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, tail } from '../../util/exec.ts';
import { DevClusterError } from '../errors.ts';
import { PAUSE_IMAGE } from './config.ts';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A reproducible tar of some entries of `dir`, written to `out`. */
async function tarOf(dir: string, entries: readonly string[], out: string): Promise<void> {
  const r = await execFile(
    'tar',
    [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      dir,
      '-cf',
      out,
      ...entries,
    ],
    { timeoutMs: 60_000 },
  );
  if (r.code !== 0) {
    throw new DevClusterError('BuildFailed', `tar failed: ${tail(r.stderr, 5)}`);
  }
}

/** Writes the OCI archive of the pause image at `archive` (once; cached beside the binary). */
export async function ensurePauseArchive(pauseBinDir: string): Promise<string> {
  const archive = join(pauseBinDir, 'pause-image.tar');
  try {
    await access(archive);
    return archive;
  } catch {
    // build it below
  }
  const work = await mkdtemp(join(tmpdir(), 'sluice-pause-'));
  try {
    await tarOf(pauseBinDir, ['pause'], join(work, 'layer.tar'));
    const layer = await readFile(join(work, 'layer.tar'));
    await rm(join(work, 'layer.tar'));
    const layerDigest = sha256(layer);
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${sha256(config)}`,
        size: Buffer.byteLength(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: `sha256:${layerDigest}`,
          size: layer.length,
        },
      ],
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha256(manifest)}`,
          size: Buffer.byteLength(manifest),
          annotations: { 'io.containerd.image.name': PAUSE_IMAGE },
        },
      ],
    });
    const blobs = join(work, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, layerDigest), layer);
    await writeFile(join(blobs, sha256(config)), config);
    await writeFile(join(blobs, sha256(manifest)), manifest);
    await writeFile(join(work, 'index.json'), index);
    await writeFile(join(work, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const partial = `${archive}.partial-${process.pid}`;
    await tarOf(work, ['oci-layout', 'index.json', 'blobs'], partial);
    await rename(partial, archive);
    return archive;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
