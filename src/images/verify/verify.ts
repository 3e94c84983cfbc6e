/**
 * Deciding whether an image is signed by trusted keys (`assess` is pure; `verifyImage` reads the
 * registry first). Each stored signature is checked as cosign checks it: the signature over the
 * payload bytes with a trusted key, then the payload's `critical.type` and
 * `critical.image.docker-manifest-digest`, which must be the image's own digest (a signature
 * copied from another image verifies as a signature but is refused as a digest mismatch).
 *
 * Trust is Kyverno's attestor model: every attestor set must be satisfied, a set by `count`
 * of its keys (all of them by default).
 */
import type { RegistryClient } from '../../delivery/images/registry.ts';
import { verifySignature, type PublicKey } from './keys.ts';
import { COSIGN_SIGNATURE_TYPE, parsePayload, signatureTag } from './payload.ts';
import type { ImageLocation } from './references.ts';
import { readSignatures, resolveDigest, type StoredSignature } from './signatures.ts';

export interface AttestorSet {
  /** Keys needed; default all. */
  count?: number;
  keys: PublicKey[];
}

export type VerifyOutcome = 'Verified' | 'Unsigned' | 'DigestMismatch' | 'Untrusted';

/** What was found about one stored signature. */
export interface SignatureCheck {
  /** The payload layer's digest. */
  layer: string;
  /** The trusted key it verifies with, if any. */
  keyId?: string;
  /** The digest its payload names. */
  payloadDigest?: string;
  problem?: string;
}

export interface ImageVerification {
  image: string;
  digest: string;
  signatureTag: string;
  outcome: VerifyOutcome;
  verified: boolean;
  /** Key ids whose signature of this very digest verified. */
  keys: string[];
  signatures: SignatureCheck[];
  /** One line for people; names the image. */
  message: string;
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

function check(
  s: StoredSignature,
  digest: string,
  keys: readonly PublicKey[],
): SignatureCheck & { ok: boolean } {
  const signer = keys.find((k) => verifySignature(s.payload, s.signature, k.key));
  if (!signer) return { layer: s.layer, ok: false, problem: 'not signed by a trusted key' };
  let payload;
  try {
    payload = parsePayload(s.payload);
  } catch (err) {
    return { layer: s.layer, keyId: signer.id, ok: false, problem: (err as Error).message };
  }
  const base = { layer: s.layer, keyId: signer.id, payloadDigest: payload.digest };
  if (payload.type !== COSIGN_SIGNATURE_TYPE)
    return {
      ...base,
      ok: false,
      problem: `payload type "${payload.type}" is not a cosign image signature`,
    };
  if (payload.digest !== digest)
    return { ...base, ok: false, problem: `digest mismatch: the payload names ${payload.digest}` };
  return { ...base, ok: true };
}

/** True when the attestor sets are satisfied by signatures of `keys` (ids). */
export function satisfied(attestors: readonly AttestorSet[], keys: ReadonlySet<string>): boolean {
  return attestors.every((a) => {
    const need = Math.min(a.count ?? a.keys.length, a.keys.length);
    return a.keys.filter((k) => keys.has(k.id)).length >= need;
  });
}

/** Decides from the stored signatures of `digest`. */
export function assess(
  image: string,
  digest: string,
  stored: readonly StoredSignature[],
  attestors: readonly AttestorSet[],
): ImageVerification {
  const all = attestors.flatMap((a) => a.keys);
  const checks = stored.map((s) => check(s, digest, all));
  const good = new Set(checks.filter((c) => c.ok).map((c) => c.keyId ?? ''));
  const verified = satisfied(attestors, good);
  const tag = signatureTag(digest);
  const at = `${image} (${short(digest)})`;
  let outcome: VerifyOutcome;
  let message: string;
  const mismatch = checks.find((c) => c.keyId !== undefined && c.payloadDigest !== digest);
  if (verified) {
    outcome = 'Verified';
    message = `image ${at} is signed by key ${[...good].join(', ')}`;
  } else if (stored.length === 0) {
    outcome = 'Unsigned';
    message = `image ${at} is not signed: no signature at tag ${tag}`;
  } else if (mismatch && good.size === 0) {
    outcome = 'DigestMismatch';
    message = `image ${at}: digest mismatch: the signature by key ${mismatch.keyId ?? ''} at tag ${tag} is for ${mismatch.payloadDigest ?? '?'}, not ${digest}`;
  } else {
    outcome = 'Untrusted';
    const ids = all.map((k) => k.id).join(', ');
    const refused = checks.find((c) => c.keyId !== undefined && c.problem !== undefined);
    message =
      good.size > 0
        ? `image ${at}: signed by ${[...good].join(', ')}, but the attestors need more of ${ids}`
        : refused
          ? `image ${at}: the signature by key ${refused.keyId ?? ''} is refused: ${refused.problem ?? ''}`
          : `image ${at}: none of its ${stored.length} signature(s) verifies with a trusted key (${ids})`;
  }
  return {
    image,
    digest,
    signatureTag: tag,
    outcome,
    verified,
    keys: [...good],
    signatures: checks.map(({ ok: _, ...c }) => c),
    message,
  };
}

/** Resolves the image's digest, reads its signatures and decides. RegistryErrors pass through. */
export async function verifyImage(
  client: RegistryClient,
  loc: ImageLocation,
  attestors: readonly AttestorSet[],
): Promise<ImageVerification> {
  const digest = await resolveDigest(client, loc);
  return assess(loc.image, digest, await readSignatures(client, digest), attestors);
}
