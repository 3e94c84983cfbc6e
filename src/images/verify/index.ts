/**
 * Signed images, cosign-compatible (legacy `sha256-<digest>.sig` tags): the wire format
 * (payload.ts), keys and signatures with node:crypto (keys.ts, cosignkey.ts), the registry side
 * (signatures.ts), the decision (verify.ts) and the revision gate for `spec.verifyImages`
 * (gate.ts). `sluice image sign|verify|generate-key-pair` use the same pieces.
 */
export { SignatureError, type SignatureErrorReason } from './errors.ts';
export { SignedImagesGate, DEFAULT_KEY_FIELD, type SignedImagesGateOptions } from './gate.ts';
export { planImages, type UsedImage } from './images.ts';
export {
  generateKeyPair,
  keyId,
  loadPrivateKey,
  parsePublicKeys,
  publicKeyPem,
  signPayload,
  verifySignature,
  type PublicKey,
} from './keys.ts';
export { sealCosignKey, openCosignKey, isCosignKey } from './cosignkey.ts';
export * from './payload.ts';
export {
  fullReference,
  imageLocation,
  matchesReference,
  type ImageLocation,
} from './references.ts';
export {
  readSignatures,
  resolveDigest,
  writeSignature,
  type StoredSignature,
} from './signatures.ts';
export {
  assess,
  satisfied,
  verifyImage,
  type AttestorSet,
  type ImageVerification,
  type SignatureCheck,
  type VerifyOutcome,
} from './verify.ts';
