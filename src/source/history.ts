/**
 * Commit history from a mirror, for DORA metrics: the commits a deployment brought (reachable
 * from the new revision, not from the previous one) with their committer times and messages
 * (whose source trailers name the change a deploy commit carries), whether one commit is an
 * ancestor of another (a deployment going back in history is a rollback), and the commit that
 * last changed a text under a path (the commit that brought an image digest into an
 * environment, whose trailers a promotion carries on).
 */
import { runGit } from './git.ts';
import { hasCommit, type MirrorContext } from './revision.ts';

/** A commit, its committer time (RFC 3339, with the committer's UTC offset) and message. */
export interface CommitTime {
  sha: string;
  committedAt: string;
  /** The full message (subject, blank line, body), as committed. */
  message: string;
}

/** `git log -z` output with FORMAT: one record per commit, NUL-separated. */
const FORMAT = '--format=%H%n%cI%n%B';

function parseLog(stdout: string): CommitTime[] {
  const out: CommitTime[] = [];
  for (const record of stdout.split('\0')) {
    const r = record.replace(/^\n/, '');
    const first = r.indexOf('\n');
    const second = r.indexOf('\n', first + 1);
    if (first < 0) continue;
    const sha = r.slice(0, first);
    const committedAt = second < 0 ? r.slice(first + 1) : r.slice(first + 1, second);
    const message = second < 0 ? '' : r.slice(second + 1);
    if (sha !== '') out.push({ sha, committedAt, message });
  }
  return out;
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
    ['--git-dir', ctx.gitDir, 'log', '-z', `--max-count=${n}`, FORMAT, ...range, '--'],
    ctx,
  );
  if (r.code !== 0) return undefined;
  return parseLog(r.stdout);
}

/**
 * The newest commit reachable from `sha` that changed how often `text` occurs under `path`
 * (`git log -S`; `path` '' for the whole tree, taken literally): for a digest `sha` runs, the
 * commit that brought it. Null when none did; undefined when `sha` is not in the mirror.
 */
export async function lastChange(
  ctx: MirrorContext,
  sha: string,
  path: string,
  text: string,
): Promise<CommitTime | null | undefined> {
  if (!(await hasCommit(ctx, sha))) return undefined;
  if (text === '') return null;
  const p = path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const paths = p === '' || p === '.' ? [] : [p];
  const r = await runGit(
    [
      '--literal-pathspecs',
      '--git-dir',
      ctx.gitDir,
      'log',
      '-z',
      '--max-count=1',
      FORMAT,
      `-S${text}`,
      sha,
      '--',
      ...paths,
    ],
    ctx,
  );
  if (r.code !== 0) return null;
  return parseLog(r.stdout)[0] ?? null;
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
