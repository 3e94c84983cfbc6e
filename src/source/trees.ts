/**
 * Checked-out trees of single commits, one directory per SHA. A tree is written into a temp
 * directory with `read-tree` + `checkout-index` (a private index file, so the mirror is never
 * touched and extractions can run side by side) and renamed into place: a tree directory either
 * does not exist or is complete. Unlike `git archive`, this ignores `export-ignore` and
 * `export-subst` attributes, so the files are exactly those of the commit.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tail } from '../util/exec.ts';
import { SourceError } from './errors.ts';
import { runGit } from './git.ts';
import type { MirrorContext } from './revision.ts';

const EXTRACT_TIMEOUT_MS = 10 * 60_000;

function checkoutFailed(ctx: MirrorContext, sha: string, stderr: string): SourceError {
  return new SourceError(
    'CheckoutFailed',
    `repo ${ctx.repoURL}: cannot check out commit ${sha}: ${tail(stderr, 3).replace(/\n/g, ' | ')}`,
    {
      repoURL: ctx.repoURL,
      hint: 'check free disk space and inode count of the mirrors directory; the mirror is fetched again if it is damaged',
    },
  );
}

/**
 * Writes the whole tree of commit `sha` to `target` (which must not exist), going through a
 * temp directory under `tmpRoot` on the same filesystem.
 */
export async function extractTree(
  ctx: MirrorContext,
  sha: string,
  tmpRoot: string,
  target: string,
): Promise<void> {
  const tmp = await mkdtemp(join(tmpRoot, 'tree-'));
  const work = join(tmp, 'tree');
  const env = { ...ctx.env, GIT_INDEX_FILE: join(tmp, 'index') };
  try {
    const opts = { repoURL: ctx.repoURL, env, timeoutMs: EXTRACT_TIMEOUT_MS };
    const read = await runGit(['--git-dir', ctx.gitDir, 'read-tree', `${sha}^{tree}`], opts);
    if (read.code !== 0) throw checkoutFailed(ctx, sha, read.stderr);
    const args = ['--git-dir', ctx.gitDir, '--work-tree', work, 'checkout-index', '-a', '-f'];
    // checkout-index creates the directories inside the work tree, not the work tree itself.
    await mkdir(work);
    const out = await runGit(args, opts);
    if (out.code !== 0) throw checkoutFailed(ctx, sha, out.stderr);
    try {
      await rename(work, target);
    } catch (err) {
      // Another process put the same tree there first: same content, keep theirs.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Removes the trees in `treesDir` whose SHA is not in `keep`. Each is first renamed out of the
 * way, so a tree path never shows a half-deleted tree.
 */
export async function pruneTreeDir(
  treesDir: string,
  tmpRoot: string,
  keep: ReadonlySet<string>,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(treesDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const keepLower = new Set([...keep].map((s) => s.toLowerCase()));
  const removed: string[] = [];
  for (const name of names) {
    if (keepLower.has(name)) continue;
    const trash = await mkdtemp(join(tmpRoot, 'prune-'));
    try {
      await rename(join(treesDir, name), join(trash, 'tree'));
      removed.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    } finally {
      await rm(trash, { recursive: true, force: true });
    }
  }
  return removed;
}
