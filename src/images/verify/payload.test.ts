import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parsePayload,
  parseSignatureManifest,
  SIGNATURE_ANNOTATION,
  signatureConfig,
  signatureDescriptor,
  signatureManifest,
  signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
  simpleSigningPayload,
} from './payload.ts';

const testdata = (f: string): Buffer => readFileSync(join(import.meta.dirname, 'testdata', f));
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('cosign wire format', () => {
  it('names the signature tag after the digest', () => {
    expect(signatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(() => signatureTag('v1')).toThrow(/not a sha256 digest/);
  });

  it('writes the payload byte for byte as cosign does', () => {
    // cosign-payload.bin is what the real cosign signed for that image.
    const real = testdata('cosign-payload.bin');
    const { dockerReference, digest } = parsePayload(real);
    expect(simpleSigningPayload(dockerReference, digest).equals(real)).toBe(true);
  });

  it.each([
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['no critical', Buffer.from('{"optional":null}'), /no "critical" section/],
    ['no digest', Buffer.from('{"critical":{"image":{}}}'), /docker-manifest-digest/],
  ])('refuses a payload with %s', (_what, bytes, message) => {
    expect(() => parsePayload(bytes)).toThrow(message);
  });

  it('reads the signature manifest the real cosign wrote', () => {
    const [layer, ...rest] = parseSignatureManifest(testdata('cosign-sig-manifest.bin'));
    expect(rest).toEqual([]);
    expect(layer?.mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
    expect(layer?.size).toBe(testdata('cosign-payload.bin').length);
    expect(layer?.signature).toMatch(/^ME[A-Za-z0-9+/=]+$/);
  });

  it('builds a manifest in the same layout, and reads it back', () => {
    const payload = simpleSigningPayload('localhost:5000/shop/web', DIGEST);
    const layer = {
      digest: 'sha256:' + 'cd'.repeat(32),
      size: payload.length,
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      signature: 'MEUCIQ==',
    };
    const d = signatureDescriptor(layer);
    const config = signatureConfig([d]);
    expect((JSON.parse(config.toString()) as { rootfs: unknown }).rootfs).toEqual({
      type: 'layers',
      diff_ids: [layer.digest],
    });
    const bytes = signatureManifest([d], {
      digest: 'sha256:' + 'ef'.repeat(32),
      size: config.length,
    });
    const doc = JSON.parse(bytes.toString()) as {
      layers: Array<{ annotations: Record<string, string> }>;
    };
    expect(doc.layers[0]?.annotations[SIGNATURE_ANNOTATION]).toBe('MEUCIQ==');
    // Key order as cosign's (so a diff of the two manifests shows only values).
    const real = JSON.parse(testdata('cosign-sig-manifest.bin').toString()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(JSON.parse(bytes.toString()) as object)).toEqual(Object.keys(real));
    expect(parseSignatureManifest(bytes)).toEqual([layer]);
  });

  it('skips layers without a signature annotation', () => {
    const bytes = Buffer.from(
      JSON.stringify({ layers: [{ mediaType: 'x', digest: DIGEST, size: 1 }] }),
    );
    expect(parseSignatureManifest(bytes)).toEqual([]);
  });
});
