/**
 * Signatures in the registry: an image's digest (a tag resolved, a digest taken as is), its
 * signature layers read from the `sha256-<hex>.sig` tag (each payload blob checked against its
 * digest), and a new signature written there (payload blob, config blob, manifest; the layers
 * already there are kept, so several keys can sign one image, as with cosign; signing again
 * with the same key adds a layer, as `cosign sign` without `--replace` does).
 */
import type { KeyObject } from 'node:crypto';
import type { RegistryClient } from '../../delivery/images/registry.ts';
import { RegistryError, sha256Digest } from '../../delivery/images/registry.ts';
import { signPayload } from './keys.ts';
import {
  manifestLayers,
  OCI_MANIFEST,
  parseSignatureManifest,
  signatureConfig,
  signatureDescriptor,
  signatureManifest,
  signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
  simpleSigningPayload,
  type Descriptor,
} from './payload.ts';
import type { ImageLocation } from './references.ts';

/** One signature as stored: the payload bytes and the base64 signature. */
export interface StoredSignature {
  payload: Buffer;
  signature: string;
  /** The payload blob's digest (the layer's). */
  layer: string;
}

/** The manifest digest of an image: its own when pinned, else its tag's at the registry. */
export async function resolveDigest(client: RegistryClient, loc: ImageLocation): Promise<string> {
  return loc.digest ?? (await client.digest(loc.tag ?? 'latest'));
}

/** The signatures stored for `digest`; empty when there is no signature tag. */
export async function readSignatures(
  client: RegistryClient,
  digest: string,
): Promise<StoredSignature[]> {
  const tag = signatureTag(digest);
  let manifest;
  try {
    manifest = await client.rawManifest(
      tag,
      OCI_MANIFEST + ', application/vnd.docker.distribution.manifest.v2+json',
    );
  } catch (err) {
    if (err instanceof RegistryError && err.kind === 'NotFound') return [];
    throw err;
  }
  const out: StoredSignature[] = [];
  for (const l of parseSignatureManifest(manifest.bytes, `${client.address.canonical}:${tag}`)) {
    const payload = await client.blob(l.digest, `signature payload ${l.digest}`);
    out.push({ payload, signature: l.signature, layer: l.digest });
  }
  return out;
}

/** Signs the image at `digest` with `key` and stores the signature; answers the signature tag. */
export async function writeSignature(
  client: RegistryClient,
  digest: string,
  key: KeyObject,
): Promise<string> {
  const payload = simpleSigningPayload(client.address.canonical, digest);
  const signature = signPayload(payload, key);
  const layer = signatureDescriptor({
    digest: await client.putBlob(payload),
    size: payload.length,
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    signature,
  });
  const tag = signatureTag(digest);
  let layers: Descriptor[] = [];
  try {
    layers = manifestLayers((await client.rawManifest(tag, OCI_MANIFEST)).bytes);
  } catch (err) {
    if (!(err instanceof RegistryError && err.kind === 'NotFound')) throw err;
  }
  // Another key's signature of the same payload has the same layer digest: keep both.
  layers = [...layers, layer];
  const config = signatureConfig(layers);
  await client.putBlob(config);
  await client.putManifest(
    tag,
    signatureManifest(layers, { digest: sha256Digest(config), size: config.length }),
    OCI_MANIFEST,
  );
  return tag;
}
