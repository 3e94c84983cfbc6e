/**
 * Writing a change to a branch the way a careful person would: fetch the head, make the edit,
 * commit only when something changed, push without force. When someone else pushed first (a
 * non-fast-forward), fetch the new head, make the edit again on it (an edit such as "set the tag
 * to v2" is re-applied, never replayed as a patch, so it cannot conflict and becomes a no-op if
 * the other commit already did it), and push again, backing off a little more each time.
 *
 * @example
 * const r = await writeToGit({
 *   repoURL: 'https://git.example.com/org/deploy.git', branch: 'main',
 *   author: { name: 'Sluice', email: 'sluice@example.com' },
 *   edit: (dir) => editFiles(dir),                  // returns { files: [...] }
 *   message: (edit) => `deploy web:v2\n\n${edit.files.length} file(s)`,
 * });
 * if (r.pushed) console.log(`pushed ${r.commit}`);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors.ts';
import type { RepoCredentials } from '../../source/credentials.ts';
import { redactRepoURL } from '../../source/url.ts';
import type { YamlChange } from '../setimage/result.ts';
import { GitWriteError } from './errors.ts';
import { GitWorkspace, type Author } from './workspace.ts';

/** One file an edit changed, and how. */
export interface FileEdit {
  /** Relative to the repository's root. */
  file: string;
  changes: YamlChange[];
}

/** What an edit reports; the commit is made from what git sees, whatever it reports. */
export interface EditOutcome {
  files: FileEdit[];
}

export interface GitWriteOptions {
  repoURL: string;
  /** The branch to edit. */
  branch: string;
  /** Push here instead (created from `branch` when it does not exist yet). */
  pushBranch?: string;
  credentials?: RepoCredentials;
  author: Author;
  /** Makes the change in the working tree `dir`; called again on every retry. */
  edit: (dir: string) => Promise<EditOutcome>;
  /** The commit message for what the edit did. */
  message: (edit: EditOutcome) => string;
  /** `git push -o` options (e.g. GitLab's `merge_request.create`). */
  pushOptions?: Readonly<Record<string, string>>;
  /** Pushes tried before giving up on a branch others keep moving; default 5. */
  attempts?: number;
  /** First backoff after a non-fast-forward (doubling, with jitter); default 250 ms. */
  backoffMs?: number;
  workDir?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Stop after the edit: no commit, no push; the result carries the diff. */
  dryRun?: boolean;
  /** Told about each retry (for logs). */
  onRetry?: (attempt: number, reason: string) => void;
}

export interface GitWriteResult {
  /** False when the edit changed nothing: no commit was made. */
  pushed: boolean;
  /** The commit pushed. */
  commit?: string;
  /** The head the edit was made on. */
  base: string;
  /** Where it was pushed (or would have been). */
  branch: string;
  /** Pushes tried (1 when the first one went through). */
  attempts: number;
  files: FileEdit[];
  message?: string;
  /** With dryRun: the unified diff the commit would make. */
  diff?: string;
}

function editError(where: { repoURL: string; branch: string }, err: unknown): SluiceError {
  if (err instanceof GitWriteError) return err;
  const file = (err as { file?: unknown }).file;
  const message = err instanceof Error ? err.message : String(err);
  return new GitWriteError(
    'EditFailed',
    { ...where, ...(typeof file === 'string' && file !== '' ? { file } : {}) },
    `the edit failed: ${message}`,
    {
      ...(err instanceof SluiceError && err.hint !== undefined ? { hint: err.hint } : {}),
      cause: err,
    },
  );
}

function delay(o: GitWriteOptions, attempt: number): number {
  const base = (o.backoffMs ?? 250) * 2 ** (attempt - 1);
  return Math.round(base * (0.5 + Math.random()));
}

/** One try: checkout, edit, commit, push. `retry` when the branch moved meanwhile. */
async function attempt(
  ws: GitWorkspace,
  o: GitWriteOptions,
  target: string,
  base: string,
): Promise<{ done: GitWriteResult } | { retry: string }> {
  const where = { repoURL: ws.repoURL, branch: target };
  const sha = await ws.checkout(base);
  let outcome: EditOutcome;
  try {
    outcome = await o.edit(ws.dir);
  } catch (err) {
    throw editError(where, err);
  }
  const result = { base: sha, branch: target, files: outcome.files };
  if (!(await ws.dirty())) return { done: { ...result, pushed: false, attempts: 0 } };
  const message = o.message(outcome);
  if (o.dryRun === true)
    return { done: { ...result, pushed: false, attempts: 0, message, diff: await ws.diff() } };
  let commit: string;
  try {
    commit = await ws.commit(message);
  } catch (err) {
    throw new GitWriteError('CommitFailed', where, (err as Error).message, { cause: err });
  }
  const { outcome: pushed, result: r } = await ws.push(target, o.pushOptions);
  if (pushed.kind === 'pushed')
    return { done: { ...result, pushed: true, commit, message, attempts: 0 } };
  if (pushed.kind === 'stale') return { retry: pushed.summary };
  if (pushed.kind === 'refused') {
    throw new GitWriteError(
      'PushRejected',
      where,
      `the server refused the push: ${pushed.summary} ${ws.says(r)}`.trim(),
      {
        hint: 'check the branch protection rules and hooks, and that the credentials may push to this branch',
      },
    );
  }
  throw ws.networkError(r, target);
}

/** Edits, commits and pushes; see the file's comment. Throws GitWriteError. */
export async function writeToGit(o: GitWriteOptions): Promise<GitWriteResult> {
  const target = o.pushBranch ?? o.branch;
  const attempts = Math.max(1, o.attempts ?? 5);
  const ws = await GitWorkspace.open({
    repoURL: o.repoURL,
    author: o.author,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.workDir ? { workDir: o.workDir } : {}),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  try {
    let last = '';
    for (let n = 1; n <= attempts; n++) {
      o.signal?.throwIfAborted();
      const heads = await ws.heads([o.branch, target]);
      // A push branch that exists is edited where it stands: never reset under others' commits.
      const base = heads.has(target) ? target : o.branch;
      if (!heads.has(base)) {
        throw new GitWriteError(
          'BranchNotFound',
          { repoURL: ws.repoURL, branch: o.branch },
          'the branch does not exist',
          {
            hint: 'create it first, or name an existing branch',
          },
        );
      }
      const r = await attempt(ws, o, target, base);
      if ('done' in r) return { ...r.done, attempts: r.done.pushed ? n : n - 1 };
      last = r.retry;
      if (n < attempts) {
        o.onRetry?.(n, last);
        await sleep(delay(o, n), undefined, o.signal ? { signal: o.signal } : {});
      }
    }
    throw new GitWriteError(
      'PushConflict',
      { repoURL: redactRepoURL(o.repoURL), branch: target },
      `others kept pushing first: ${attempts} pushes met a newer head (${last})`,
      { hint: 'the change was never forced; it is tried again on the next run' },
    );
  } finally {
    await ws.close();
  }
}
