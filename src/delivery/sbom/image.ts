/**
 * Reading an image straight from its registry for an SBOM: the manifest (an index resolves to
 * this machine's platform, linux/amd64 or linux/arm64), then each layer streamed through gunzip
 * or zstd into the root filesystem index. No container runtime, no local copy of the image.
 *
 * Registries are spoken to over HTTPS, or plain HTTP with `plainHttp` (the dev cluster's
 * `localhost:5000`, or `<node IP>:5000` from a pod). Anonymous access only for now.
 *
 * @example
 * const { index, digest } = await indexImage(parseImageRef('198.19.255.2:5000/demo/app:3f2a9c1'), { plainHttp: true });
 */
import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { SluiceError } from '../../errors.ts';
import { RootfsIndex } from './rootfs.ts';

export interface ImageRef {
  registry: string;
  repository: string;
  /** A tag or `sha256:...`. */
  reference: string;
}

export class SbomError extends SluiceError {
  constructor(
    code: 'ImageRefInvalid' | 'ImageUnreachable' | 'ImageNotFound' | 'LayerUnreadable',
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, exitCode: code === 'ImageNotFound' ? 3 : 1 });
    this.name = 'SbomError';
  }
}

/** `host:port/repo/name:tag` or `host/repo@sha256:...` (pure); the registry host is required. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const [name, digest] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
  const slash = name.indexOf('/');
  const host = slash > 0 ? name.slice(0, slash) : '';
  if (!/[.:]/.test(host) && host !== 'localhost') {
    throw new SbomError('ImageRefInvalid', `image ${ref} does not name its registry`, {
      hint: 'write it in full, e.g. localhost:5000/demo/app:3f2a9c1 or registry.example/app@sha256:...',
    });
  }
  const rest = name.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const tagged = digest === undefined && colon > rest.lastIndexOf('/');
  return {
    registry: host,
    repository: tagged ? rest.slice(0, colon) : rest,
    reference: digest ?? (tagged ? rest.slice(colon + 1) : 'latest'),
  };
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

interface Manifest {
  mediaType?: string;
  manifests?: Descriptor[];
  layers?: Descriptor[];
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

async function get(url: string, what: string, accept?: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, accept ? { headers: { accept } } : {});
  } catch (cause) {
    throw new SbomError('ImageUnreachable', `${what}: cannot reach ${new URL(url).host}`, {
      cause,
      hint: 'check the registry address; a plain-HTTP registry needs --plain-http',
    });
  }
  if (res.status === 404) {
    throw new SbomError(
      'ImageNotFound',
      `${what}: the registry has no such ${url.includes('/blobs/') ? 'blob' : 'manifest'}`,
    );
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    throw new SbomError(
      'ImageUnreachable',
      `${what}: the registry answered ${res.status} ${body}`,
      {
        hint: res.status === 401 ? 'only anonymous pulls are supported for now' : 'try again later',
      },
    );
  }
  return res;
}

async function manifest(
  base: string,
  ref: ImageRef,
  reference: string,
): Promise<{ m: Manifest; digest: string }> {
  const what = `image ${ref.registry}/${ref.repository}:${reference}`;
  const res = await get(`${base}/manifests/${reference}`, what, ACCEPT);
  const body = Buffer.from(await res.arrayBuffer());
  const digest =
    res.headers.get('docker-content-digest') ??
    `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { m: JSON.parse(body.toString('utf8')) as Manifest, digest };
}

function decompress(mediaType: string | undefined): Transform | undefined {
  if (mediaType?.endsWith('gzip')) return createGunzip();
  if (mediaType?.endsWith('zstd')) return createZstdDecompress();
  return undefined;
}

/** Indexes the image's root filesystem; resolves with the index and the manifest digest. */
export async function indexImage(
  ref: ImageRef,
  o: { plainHttp?: boolean } = {},
): Promise<{ index: RootfsIndex; digest: string }> {
  const base = `${o.plainHttp ? 'http' : 'https'}://${ref.registry}/v2/${ref.repository}`;
  let { m, digest } = await manifest(base, ref, ref.reference);
  if (m.manifests !== undefined) {
    const arch = GOARCH[process.arch] ?? process.arch;
    const pick = m.manifests.find(
      (d) => d.platform?.os === 'linux' && d.platform.architecture === arch,
    );
    if (pick === undefined) {
      throw new SbomError(
        'ImageNotFound',
        `image ${ref.repository}:${ref.reference} has no linux/${arch} manifest`,
      );
    }
    ({ m, digest } = await manifest(base, ref, pick.digest));
  }
  const index = new RootfsIndex();
  for (const layer of m.layers ?? []) {
    const what = `layer ${layer.digest} of ${ref.repository}`;
    const res = await get(`${base}/blobs/${layer.digest}`, what);
    if (res.body === null) throw new SbomError('LayerUnreadable', `${what} has no body`);
    const raw = Readable.fromWeb(res.body);
    const unpack = decompress(layer.mediaType);
    raw.on('error', (err) => unpack?.emit('error', err));
    try {
      await index.addLayer(unpack ? raw.pipe(unpack) : raw, what);
    } catch (cause) {
      throw new SbomError(
        'LayerUnreadable',
        `${what} cannot be read (${layer.mediaType ?? 'no media type'})`,
        {
          cause,
          hint: cause instanceof Error ? cause.message : 'the blob may be damaged',
        },
      );
    }
  }
  return { index, digest };
}
