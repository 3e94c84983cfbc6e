import { SluiceError } from '../errors.ts';

/** What can go wrong while reading a Git source. */
export type SourceErrorCode =
  | 'InvalidRepoURL'
  | 'RepoUnreachable'
  | 'AuthFailed'
  /** ssh: the server's host key is trusted nowhere (no trust on first use). */
  | 'UnknownHostKey'
  /** ssh: the server's host key differs from the trusted one. */
  | 'HostKeyChanged'
  | 'RevisionNotFound'
  | 'GitMissing'
  | 'CheckoutFailed';

/**
 * A Git source failure. The message always starts with `repo <url>:` (credentials removed) and
 * never contains a credential; `repoURL` is that redacted URL.
 */
export class SourceError extends SluiceError {
  declare readonly code: SourceErrorCode;
  /** The repository involved, without credentials. */
  readonly repoURL: string;

  constructor(
    code: SourceErrorCode,
    message: string,
    options: { repoURL: string; hint?: string; cause?: unknown },
  ) {
    super(code, message, {
      ...(options.hint !== undefined ? { hint: options.hint } : {}),
      cause: options.cause,
      exitCode: code === 'RevisionNotFound' ? 3 : 1,
    });
    this.name = 'SourceError';
    this.repoURL = options.repoURL;
  }
}
