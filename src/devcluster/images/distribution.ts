/**
 * A small client of the OCI distribution API (plain HTTP, no auth), enough to check what a local
 * registry holds, read an image's config, and give an existing manifest another tag.
 */
import { DevClusterError } from '../errors.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The runtime part of an image config (`config` in the config blob). */
export interface RuntimeConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  WorkingDir?: string;
  Env?: string[];
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

export interface RawManifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

function url(registry: string, path: string): string {
  return `http://${registry}/v2/${path}`;
}

async function failed(what: string, res: Response): Promise<DevClusterError> {
  const text = await res.text().catch(() => '');
  return new DevClusterError(
    'BuildFailed',
    `${what}: the registry answered ${res.status} ${text.slice(0, 300)}`,
  );
}

/** The manifest `repo:ref` as stored, or undefined when the registry does not have it. */
export async function getManifest(
  registry: string,
  repo: string,
  ref: string,
): Promise<RawManifest | undefined> {
  const res = await fetch(url(registry, `${repo}/manifests/${ref}`), {
    headers: { Accept: ACCEPT },
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw await failed(`reading ${registry}/${repo}:${ref}`, res);
  return {
    mediaType: res.headers.get('content-type') ?? OCI_MANIFEST,
    digest: res.headers.get('docker-content-digest') ?? '',
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** The parsed image manifest of `repo:ref`, or undefined. */
export async function imageManifest(
  registry: string,
  repo: string,
  ref: string,
): Promise<ImageManifest | undefined> {
  const raw = await getManifest(registry, repo, ref);
  return raw && (JSON.parse(raw.body.toString('utf8')) as ImageManifest);
}

/** A blob's bytes. */
export async function getBlob(registry: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(url(registry, `${repo}/blobs/${digest}`), {
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw await failed(`reading blob ${digest} of ${registry}/${repo}`, res);
  return Buffer.from(await res.arrayBuffer());
}

/** The runtime config of `repo:ref` (Entrypoint, User...), or undefined if there is no such image. */
export async function imageConfig(
  registry: string,
  repo: string,
  ref: string,
): Promise<RuntimeConfig | undefined> {
  const m = await imageManifest(registry, repo, ref);
  if (m === undefined) return undefined;
  const blob = JSON.parse((await getBlob(registry, repo, m.config.digest)).toString('utf8')) as {
    config?: RuntimeConfig;
  };
  return blob.config ?? {};
}

/** Points `repo:tag` at an existing manifest (same bytes, so the same digest). */
export async function putManifest(
  registry: string,
  repo: string,
  tag: string,
  manifest: RawManifest,
): Promise<void> {
  const res = await fetch(url(registry, `${repo}/manifests/${tag}`), {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: new Uint8Array(manifest.body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw await failed(`tagging ${registry}/${repo}:${tag}`, res);
  await res.body?.cancel();
}

/** True when the registry has the blob (HEAD answers 200). */
export async function hasBlob(registry: string, repo: string, digest: string): Promise<boolean> {
  const res = await fetch(url(registry, `${repo}/blobs/${digest}`), {
    method: 'HEAD',
    signal: AbortSignal.timeout(30_000),
  });
  return res.ok;
}

/** Streams one blob from `src` to `dst` (monolithic upload), unless `dst` has it. */
async function copyBlob(src: string, dst: string, repo: string, digest: string): Promise<void> {
  if (await hasBlob(dst, repo, digest)) return;
  const start = await fetch(url(dst, `${repo}/blobs/uploads/`), {
    method: 'POST',
    signal: AbortSignal.timeout(30_000),
  });
  const location = start.headers.get('location');
  await start.body?.cancel();
  if (start.status !== 202 || location === null)
    throw await failed(`uploading to ${dst}/${repo}`, start);
  const from = await fetch(url(src, `${repo}/blobs/${digest}`), {
    signal: AbortSignal.timeout(10 * 60_000),
  });
  if (!from.ok || from.body === null)
    throw await failed(`reading blob ${digest} of ${src}/${repo}`, from);
  const put = new URL(location, `http://${dst}/`);
  put.searchParams.set('digest', digest);
  const res = await fetch(put, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: from.body,
    duplex: 'half',
    signal: AbortSignal.timeout(10 * 60_000),
  });
  if (res.status !== 201) throw await failed(`uploading blob ${digest} to ${dst}/${repo}`, res);
  await res.body?.cancel();
}

/**
 * Copies image `repo:ref` from registry `src` to registry `dst` under each of `tags`: blobs the
 * destination lacks are streamed across, then the manifest is put unchanged (same digest).
 */
export async function copyImage(
  src: string,
  dst: string,
  repo: string,
  ref: string,
  tags: readonly string[],
): Promise<void> {
  const raw = await getManifest(src, repo, ref);
  if (raw === undefined) {
    throw new DevClusterError('BuildFailed', `${src}/${repo}:${ref} does not exist to be copied`);
  }
  const m = JSON.parse(raw.body.toString('utf8')) as ImageManifest;
  for (const d of [m.config, ...m.layers]) await copyBlob(src, dst, repo, d.digest);
  for (const tag of tags) await putManifest(dst, repo, tag, raw);
}
