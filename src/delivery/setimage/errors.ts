/**
 * What can go wrong while editing a YAML file: each failure names the file and, where there is
 * one, the key path or the image reference, and says what to do.
 */
import { SluiceError } from '../../errors.ts';

export type SetImageErrorCode =
  /** The file is not valid YAML (the message says where). */
  | 'InvalidYAML'
  /** An image reference like `registry/app:tag@sha256:...` that does not parse. */
  | 'InvalidImageRef'
  /** A key path like `image.tag` that does not parse. */
  | 'InvalidKeyPath'
  /** The path goes through something that is not a map (or a list, for `[n]`). */
  | 'PathConflict'
  /** The file's layout is one these edits do not rewrite (e.g. a multi-line scalar). */
  | 'UnsupportedLayout';

/** A failed edit; `file` is the file as the caller named it (for messages). */
export class SetImageError extends SluiceError {
  declare readonly code: SetImageErrorCode;
  readonly file: string;

  constructor(
    code: SetImageErrorCode,
    file: string,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const usage = code === 'InvalidImageRef' || code === 'InvalidKeyPath';
    super(code, file === '' ? message : `${file}: ${message}`, {
      ...options,
      exitCode: usage ? 2 : 1,
    });
    this.name = 'SetImageError';
    this.file = file;
  }
}
