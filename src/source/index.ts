/**
 * Git sources: where Applications' manifests come from (reconcile step 1, "resolve the revision").
 *
 * - `GitMirrors` keeps one bare mirror per repository, shared by every Application on it, so one
 *   fetch serves them all: `resolve()` turns a branch, tag, SHA or HEAD into a commit SHA
 *   (fetching when asked to, or when it must; concurrent refreshes of a repository share one
 *   fetch), `tree()` gives a read-only checkout of a commit, `commitInfo()` its author and
 *   subject, `commits()` the commits one revision brings over another (with committer times
 *   and messages), `isAncestor()`, `lastChange()` the commit that last changed a text (a
 *   digest) under a path, and `pruneTrees()` bounds the disk used by old checkouts.
 * - `normalizeRepoURL()` is the canonical form used to compare repository URLs (webhooks match
 *   on it); `redactRepoURL()` strips credentials for messages and logs.
 * - Credentials (`RepoCredentials`) never reach a URL, a process argument, a log or an error:
 *   http(s) ones travel in an `Authorization` header set through git's environment, an ssh key in
 *   a 0600 temp file. git runs with no system or user configuration and never prompts.
 * - Failures are `SourceError`s whose `code` tells them apart: InvalidRepoURL, RepoUnreachable,
 *   AuthFailed, RevisionNotFound, GitMissing, CheckoutFailed.
 *
 * @example
 * const mirrors = new GitMirrors({ dir: '/var/lib/sluice/git' });
 * const { sha } = await mirrors.resolve(app.spec.source.repoURL, app.spec.source.targetRevision, {
 *   credentials,
 *   refresh: true,
 * });
 * const root = await mirrors.tree(app.spec.source.repoURL, sha);
 */
export type { RepoCredentials } from './credentials.ts';
export { SourceError, type SourceErrorCode } from './errors.ts';
export {
  GitMirrors,
  type CommitInfo,
  type GitMirrorsOptions,
  type GitMirrorsStats,
  type ResolveOptions,
} from './mirrors.ts';
export type { CommitTime } from './history.ts';
export type { MirrorContext, ResolvedRevision } from './revision.ts';
export { normalizeRepoURL, redactRepoURL } from './url.ts';
