/**
 * Errors of signature verification and signing, with `reason` as data: what the gate turns
 * into the app's condition and the CLI into its exit code.
 */
import { SluiceError } from '../../errors.ts';

export type SignatureErrorReason =
  /** A payload or signature manifest that is not cosign's layout. */
  | 'InvalidSignatureFormat'
  /** A key file or PEM text Sluice cannot use. */
  | 'InvalidKey'
  /** An image reference that cannot be parsed. */
  | 'InvalidImage';

export class SignatureError extends SluiceError {
  readonly reason: SignatureErrorReason;
  constructor(
    reason: SignatureErrorReason,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(reason, message, options);
    this.name = 'SignatureError';
    this.reason = reason;
  }
}
