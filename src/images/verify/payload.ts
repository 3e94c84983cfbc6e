/**
 * Cosign's wire format, legacy tag layout (pure): for an image manifest `sha256:<hex>` the
 * signatures live in the same repository under the tag `sha256-<hex>.sig`, as an OCI image
 * manifest whose every layer is one signature: a "simple signing" JSON payload (the blob) and
 * the base64 signature of it (ECDSA P-256 over SHA-256, ASN.1 DER) in the layer annotation
 * `dev.cosignproject.cosign/signature`.
 *
 * @example
 * signatureTag('sha256:ab12…') // 'sha256-ab12….sig'
 * simpleSigningPayload('localhost:5000/shop/web', 'sha256:ab12…')
 * // {"critical":{"identity":{"docker-reference":"localhost:5000/shop/web"},
 * //   "image":{"docker-manifest-digest":"sha256:ab12…"},"type":"cosign container image signature"},"optional":null}
 */
import { isRecord } from '../../kube/types.ts';
import { SignatureError } from './errors.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function invalid(what: string, why: string): SignatureError {
  return new SignatureError('InvalidSignatureFormat', `${what}: ${why}`, {
    hint: 'the signature is not in cosign’s layout; sign the image again (`sluice image sign` or `cosign sign`)',
  });
}

/** The tag of an image's signatures: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  if (!DIGEST.test(digest)) throw invalid(digest, 'not a sha256 digest');
  return `${digest.replace(':', '-')}.sig`;
}

/** What a payload claims. */
export interface SimpleSigning {
  dockerReference: string;
  digest: string;
  type: string;
  optional: Record<string, unknown> | null;
}

/** The payload bytes cosign signs for an image (key order and `"optional":null` as cosign writes). */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: null,
    }),
  );
}

/** Reads a payload; InvalidSignatureFormat when it is not simple signing JSON. */
export function parsePayload(bytes: Buffer, what = 'signature payload'): SimpleSigning {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(what, 'not JSON');
  }
  const critical = isRecord(doc) ? doc['critical'] : undefined;
  if (!isRecord(critical)) throw invalid(what, 'no "critical" section');
  const image = critical['image'];
  const identity = critical['identity'];
  const digest = isRecord(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof digest !== 'string') throw invalid(what, 'no critical.image.docker-manifest-digest');
  const ref = isRecord(identity) ? identity['docker-reference'] : undefined;
  const optional = isRecord(doc) && isRecord(doc['optional']) ? doc['optional'] : null;
  return {
    dockerReference: typeof ref === 'string' ? ref : '',
    digest,
    type: typeof critical['type'] === 'string' ? critical['type'] : '',
    optional,
  };
}

/** One layer of a signature manifest. */
export interface SignatureLayer {
  /** The payload blob's digest and size. */
  digest: string;
  size: number;
  mediaType: string;
  /** Base64, as in the annotation. */
  signature: string;
}

/** A layer descriptor as manifests carry it (other annotations, e.g. a Rekor bundle, kept). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The descriptor of one signature layer. */
export function signatureDescriptor(l: SignatureLayer): Descriptor {
  return {
    mediaType: l.mediaType,
    size: l.size,
    digest: l.digest,
    annotations: { [SIGNATURE_ANNOTATION]: l.signature },
  };
}

/** The config blob of a signature manifest: an empty image whose layers are the payloads. */
export function signatureConfig(layers: readonly Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

/** The signature manifest holding `descriptors`, its config given by digest and size. */
export function signatureManifest(
  descriptors: readonly Descriptor[],
  config: { digest: string; size: number },
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, size: config.size, digest: config.digest },
      layers: descriptors,
    }),
  );
}

/** The layer descriptors of a manifest, as written. */
export function manifestLayers(bytes: Buffer, what = 'signature manifest'): Descriptor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(what, 'not JSON');
  }
  const layers = isRecord(doc) ? doc['layers'] : undefined;
  if (!Array.isArray(layers)) throw invalid(what, 'no layers');
  return layers.filter(
    (l): l is Descriptor =>
      isRecord(l) && typeof l['digest'] === 'string' && typeof l['mediaType'] === 'string',
  );
}

/** The signature layers of a manifest (layers without the annotation are left out). */
export function parseSignatureManifest(
  bytes: Buffer,
  what = 'signature manifest',
): SignatureLayer[] {
  const out: SignatureLayer[] = [];
  for (const l of manifestLayers(bytes, what) as unknown[]) {
    if (!isRecord(l)) continue;
    const annotations = l['annotations'];
    const signature = isRecord(annotations) ? annotations[SIGNATURE_ANNOTATION] : undefined;
    const digest = l['digest'];
    if (typeof signature !== 'string' || typeof digest !== 'string') continue;
    out.push({
      digest,
      size: typeof l['size'] === 'number' ? l['size'] : 0,
      mediaType: typeof l['mediaType'] === 'string' ? l['mediaType'] : '',
      signature,
    });
  }
  return out;
}
