/**
 * Commit history from a mirror, for DORA metrics: the commits a deployment brought (reachable
 * from the new revision, not from the previous one) with their committer times, and whether one
 * commit is an ancestor of another (a deployment going back in history is a rollback).
 */
import { runGit } from './git.ts';
import { hasCommit, type MirrorContext } from './revision.ts';

/** A commit and its committer time (RFC 3339, with the committer's UTC offset). */
export interface CommitTime {
  sha: string;
  committedAt: string;
}

/**
 * The commits `sha` brings over `since`, newest first, at most `limit`; only `sha` itself when
 * `since` is undefined or not in the mirror (history rewritten). Undefined when `sha` is not in
 * the mirror.
 */
export async function commitsBetween(
  ctx: MirrorContext,
  sha: string,
  since: string | undefined,
  limit: number,
): Promise<CommitTime[] | undefined> {
  if (!(await hasCommit(ctx, sha))) return undefined;
  const base = since !== undefined && (await hasCommit(ctx, since)) ? since : undefined;
  const range = base ? [sha, `^${base}`] : [sha];
  const n = base ? limit : 1;
  const r = await runGit(
    ['--git-dir', ctx.gitDir, 'log', `--max-count=${n}`, '--format=%H%x00%cI', ...range, '--'],
    ctx,
  );
  if (r.code !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('\0'))
    .map((l) => {
      const [full = '', committedAt = ''] = l.split('\0');
      return { sha: full, committedAt };
    });
}

/** Is `ancestor` an ancestor of `sha` (a commit is not its own)? Undefined when one is missing. */
export async function isAncestor(
  ctx: MirrorContext,
  ancestor: string,
  sha: string,
): Promise<boolean | undefined> {
  if (ancestor === sha) return false;
  const r = await runGit(
    ['--git-dir', ctx.gitDir, 'merge-base', '--is-ancestor', ancestor, sha],
    ctx,
  );
  if (r.code === 0) return true;
  return r.code === 1 ? false : undefined;
}
