/**
 * Resolving a revision against a mirror, without touching the network. Order: HEAD; a full
 * commit SHA; a branch (`refs/heads/<rev>`); a tag (`refs/tags/<rev>`, annotated tags peeled to
 * their commit); an unambiguous short SHA (4-39 hex digits). Fully qualified `refs/heads/...` and
 * `refs/tags/...` names are accepted too. All candidates are checked by one `git cat-file`.
 */
import { runGit } from './git.ts';
import { hasSpaceOrControl } from './url.ts';

/** A revision resolved to a commit. */
export interface ResolvedRevision {
  /** Full commit SHA. */
  sha: string;
  /** The ref the revision named, e.g. `refs/heads/main` or `refs/tags/v1`; none for a SHA. */
  ref?: string;
}

/** What a resolution needs to run git against one mirror. */
export interface MirrorContext {
  gitDir: string;
  env: NodeJS.ProcessEnv;
  /** Redacted, for messages. */
  repoURL: string;
}

const FULL_SHA = /^[0-9a-f]{40}$/i;
const SHORT_SHA = /^[0-9a-f]{4,39}$/i;

/** True for a full (40 hex digit) commit SHA. */
export function isFullSha(s: string): boolean {
  return FULL_SHA.test(s);
}

/** True when `name` is a valid ref name (the rules of `git check-ref-format`). */
export function isRefName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-')) return false;
  if (hasSpaceOrControl(name) || /[~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  return name.split('/').every((c) => !c.startsWith('.') && !c.endsWith('.lock'));
}

interface Candidate {
  expr: string;
  ref?: string;
}

function candidates(rev: string): Candidate[] {
  if (rev === 'HEAD') return [{ expr: 'HEAD^{commit}' }];
  const out: Candidate[] = [];
  if (isFullSha(rev)) out.push({ expr: `${rev.toLowerCase()}^{commit}` });
  if (isRefName(rev)) {
    if (/^refs\/(heads|tags)\/./.test(rev)) out.push({ expr: `${rev}^{commit}`, ref: rev });
    out.push({ expr: `refs/heads/${rev}^{commit}`, ref: `refs/heads/${rev}` });
    out.push({ expr: `refs/tags/${rev}^{commit}`, ref: `refs/tags/${rev}` });
  }
  if (SHORT_SHA.test(rev)) out.push({ expr: `${rev.toLowerCase()}^{commit}` });
  return out;
}

async function headRef(ctx: MirrorContext): Promise<string | undefined> {
  const r = await runGit(['--git-dir', ctx.gitDir, 'symbolic-ref', '-q', 'HEAD'], ctx);
  const ref = r.stdout.trim();
  return r.code === 0 && ref !== '' ? ref : undefined;
}

/**
 * Resolves `rev` in the mirror. Undefined when it names nothing there, `'ambiguous'` when it is
 * a short SHA matching several commits.
 */
export async function resolveLocal(
  ctx: MirrorContext,
  rev: string,
): Promise<ResolvedRevision | 'ambiguous' | undefined> {
  const list = candidates(rev);
  if (list.length === 0) return undefined;
  const r = await runGit(['--git-dir', ctx.gitDir, 'cat-file', '--batch-check'], {
    ...ctx,
    input: list.map((c) => c.expr).join('\n') + '\n',
  });
  if (r.code !== 0) return undefined;
  const lines = r.stdout.split('\n');
  let ambiguous = false;
  for (const [i, c] of list.entries()) {
    const [sha, type] = (lines[i] ?? '').split(' ');
    if (type === 'ambiguous') ambiguous = true;
    if (type !== 'commit' || sha === undefined || !isFullSha(sha)) continue;
    if (rev === 'HEAD') {
      const ref = await headRef(ctx);
      return ref !== undefined ? { sha, ref } : { sha };
    }
    return c.ref !== undefined ? { sha, ref: c.ref } : { sha };
  }
  return ambiguous ? 'ambiguous' : undefined;
}

/** True when the commit `sha` is in the mirror. */
export async function hasCommit(ctx: MirrorContext, sha: string): Promise<boolean> {
  if (!isFullSha(sha)) return false;
  const r = await runGit(['--git-dir', ctx.gitDir, 'cat-file', '-e', `${sha}^{commit}`], ctx);
  return r.code === 0;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The names closest to `rev`, best first. */
export function closest(rev: string, names: readonly string[], n: number): string[] {
  return names
    .map((name) => ({ name, d: distance(rev.toLowerCase(), name.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.name.localeCompare(y.name))
    .slice(0, n)
    .map((x) => x.name);
}

/** A hint naming the branches and tags closest to `rev`, for RevisionNotFound. */
export async function existingRefsHint(ctx: MirrorContext, rev: string): Promise<string> {
  const r = await runGit(
    ['--git-dir', ctx.gitDir, 'for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/tags'],
    ctx,
  );
  const refs = r.code === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [];
  const pick = (prefix: string): string[] =>
    closest(
      rev,
      refs.filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length)),
      5,
    );
  const branches = pick('refs/heads/');
  const tags = pick('refs/tags/');
  if (branches.length === 0 && tags.length === 0) return 'the repository has no branches or tags';
  const parts = [];
  if (branches.length > 0) parts.push(`branches: ${branches.join(', ')}`);
  if (tags.length > 0) parts.push(`tags: ${tags.join(', ')}`);
  return `use a branch, a tag or a commit SHA; closest existing ${parts.join('; ')}`;
}
