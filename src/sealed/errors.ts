/**
 * What can go wrong with sealed secrets, as data: the controller turns `code` into its Synced
 * condition's reason and the CLI into an exit code, never by reading the message. Messages start
 * with the object they are about (`SealedSecret/shop/db`) and name the data key when there is one.
 */
import { SluiceError } from '../errors.ts';

export type SealedErrorCode =
  /** Not base64, shorter than its own length prefix, or its AES part altered or cut. */
  | 'BlobCorrupt'
  /** One of our keys opens the session key, but the blob was sealed for another name/namespace/scope. */
  | 'SealedForAnotherObject'
  /** None of the keys opens the blob (another cluster's key, or a key that was deleted). */
  | 'NoKeyOpensBlob'
  /** No sealing key at all (the controller has none yet; `--recovery-private-key` gave none). */
  | 'NoKeys'
  /** `spec.template.data` uses something this implementation does not evaluate. */
  | 'TemplateInvalid'
  /** The SealedSecret or Secret given is not one (wrong kind, missing fields). */
  | 'InvalidInput'
  /** A certificate that cannot be parsed, is not RSA, or has expired. */
  | 'CertificateInvalid'
  | 'CertificateExpired'
  /** A private key file or key Secret that cannot be parsed. */
  | 'PrivateKeyInvalid';

export class SealedError extends SluiceError {
  declare readonly code: SealedErrorCode;
  /** The `encryptedData` key the error is about, when there is one. */
  readonly dataKey: string | undefined;

  constructor(
    code: SealedErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; dataKey?: string; exitCode?: number } = {},
  ) {
    super(code, message, options);
    this.name = 'SealedError';
    this.dataKey = options.dataKey;
  }
}

export function isSealedError(err: unknown): err is SealedError {
  return err instanceof SealedError;
}
