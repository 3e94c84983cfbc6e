/**
 * What can go wrong while writing to a Git repository. Every message starts with
 * `repo <url> branch <name>:` (credentials removed) and, for a failed edit, names the file.
 */
import { SluiceError } from '../../errors.ts';

export type GitWriteErrorCode =
  /** The server refused the credentials, or wants some and none were given. */
  | 'AuthFailed'
  /** The server could not be reached, or the repository does not exist. */
  | 'RepoUnreachable'
  /** Neither the branch nor the push branch exists. */
  | 'BranchNotFound'
  /** The edit failed (a file is missing or is not valid YAML, a path conflicts). */
  | 'EditFailed'
  /** git could not commit (e.g. an invalid author). */
  | 'CommitFailed'
  /** The server refused the push for a reason a retry cannot fix (a hook, a protected branch). */
  | 'PushRejected'
  /** Others kept pushing first: every retry met a newer branch head. */
  | 'PushConflict'
  | 'GitMissing';

export class GitWriteError extends SluiceError {
  declare readonly code: GitWriteErrorCode;
  /** The repository, without credentials. */
  readonly repoURL: string;
  readonly branch: string;
  /** The file an edit failed on, when there is one. */
  readonly file: string | undefined;

  constructor(
    code: GitWriteErrorCode,
    where: { repoURL: string; branch: string; file?: string },
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const file = where.file !== undefined ? ` file ${where.file}` : '';
    super(code, `repo ${where.repoURL} branch ${where.branch}${file}: ${message}`, options);
    this.name = 'GitWriteError';
    this.repoURL = where.repoURL;
    this.branch = where.branch;
    this.file = where.file;
  }
}
