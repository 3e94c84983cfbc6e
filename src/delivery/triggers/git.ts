/**
 * What a Trigger asks of Git: the repository's branch and tag tips without fetching anything
 * (`git ls-remote`, the cheap check a poll makes), and, once a ref moved, the new commit's author,
 * message and changed files, read from a bare mirror (src/source GitMirrors: coalesced fetches,
 * credentials that never reach an argument or a log).
 *
 * Changed files: against the commit last handled on the ref; for a new branch, against where it
 * left the default branch (merge-base with HEAD); with neither, every file of the commit.
 *
 * The mirrors are the triggers' own (`<dir>/mirrors/<hash>-<slug>`, GitMirrors' layout): diffs
 * and logs run read-only against that directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchFailureWithHostKeys } from '../../source/classify.ts';
import { prepareAuth } from '../../source/credentials.ts';
import { gitEnv, runGit } from '../../source/git.ts';
import { GitMirrors, type RepoCredentials, type ResolvedRevision } from '../../source/index.ts';
import { gitTransportURL, mirrorName, normalizeRepoURL, parseRepoURL } from '../../source/url.ts';
import { HEADS, TAGS } from './match.ts';

/** Changed paths kept per commit (the count stays exact). */
export const MAX_FILES = 10_000;

export interface CommitDetails {
  /** `Name <email>`. */
  author: string;
  /** The whole message, without its final newline. */
  message: string;
  /** Changed paths (at most MAX_FILES). */
  files: string[];
  /** How many paths changed. */
  changed: number;
}

export interface TriggerGitOptions {
  /** Directory for the mirrors and ls-remote's scratch files. */
  dir: string;
  timeoutMs?: number;
}

/** `git ls-remote` output: branch and tag tips (annotated tags peeled to their commit). */
export function parseLsRemote(stdout: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.trim().split('\t');
    if (!sha || !name || !/^[0-9a-f]{40}$/i.test(sha)) continue;
    if (!name.startsWith(HEADS) && !name.startsWith(TAGS)) continue;
    const peeled = name.endsWith('^{}');
    const ref = peeled ? name.slice(0, -3) : name;
    if (peeled || !refs.has(ref)) refs.set(ref, sha.toLowerCase());
  }
  return refs;
}

export class TriggerGit {
  readonly mirrors: GitMirrors;
  private readonly dir: string;
  private readonly timeoutMs: number;

  constructor(o: TriggerGitOptions) {
    this.dir = o.dir;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.mirrors = new GitMirrors({ dir: join(o.dir, 'git'), fetchTimeoutMs: 2 * this.timeoutMs });
  }

  /** The repository's branch and tag tips; SourceError RepoUnreachable / AuthFailed. */
  async lsRemote(repoURL: string, credentials?: RepoCredentials): Promise<Map<string, string>> {
    const parsed = parseRepoURL(repoURL);
    const transport = gitTransportURL(parsed);
    const scratch = join(this.dir, 'ls-remote');
    await mkdir(join(scratch, 'home'), { recursive: true, mode: 0o700 });
    const auth = await prepareAuth(parsed, credentials, { tmpDir: scratch });
    try {
      const env = gitEnv(join(scratch, 'home'), auth.config, auth.env);
      const r = await runGit(['ls-remote', '--', transport], {
        repoURL: transport,
        env,
        timeoutMs: this.timeoutMs,
      });
      if (r.code !== 0)
        throw await fetchFailureWithHostKeys(transport, parsed, r, auth, this.timeoutMs);
      return parseLsRemote(r.stdout);
    } finally {
      await auth.cleanup();
    }
  }

  /** Resolves a revision in the mirror, fetching first when `refresh` (or when it must). */
  resolve(
    repoURL: string,
    revision: string,
    credentials: RepoCredentials | undefined,
    refresh: boolean,
  ): Promise<ResolvedRevision> {
    return this.mirrors.resolve(repoURL, revision, {
      refresh,
      ...(credentials ? { credentials } : {}),
    });
  }

  /** Author, message and changed files of `sha` (which must be in the mirror). */
  async details(repoURL: string, sha: string, previous?: string): Promise<CommitDetails> {
    const ctx = this.context(repoURL);
    const log = await runGit(
      ['--git-dir', ctx.gitDir, 'log', '-1', '--format=%an <%ae>%x00%B', sha, '--'],
      ctx,
    );
    if (log.code !== 0) throw new Error(`git log ${sha}: ${log.stderr.trim()}`);
    const [author = '', message = ''] = log.stdout.split('\0');
    const base = await this.base(ctx, sha, previous);
    const args =
      base === undefined
        ? ['ls-tree', '-r', '--name-only', '-z', sha]
        : ['diff', '--name-only', '-z', '--no-renames', base, sha, '--'];
    const diff = await runGit(['--git-dir', ctx.gitDir, ...args], ctx);
    if (diff.code !== 0) throw new Error(`git ${args[0] ?? ''} ${sha}: ${diff.stderr.trim()}`);
    const all = diff.stdout.split('\0').filter((f) => f !== '');
    return {
      author,
      message: message.replace(/\n+$/, ''),
      files: all.slice(0, MAX_FILES),
      changed: all.length,
    };
  }

  /** The default branch the mirror's HEAD names (`refs/heads/main`), if any. */
  async defaultBranch(repoURL: string): Promise<string | undefined> {
    const ctx = this.context(repoURL);
    const r = await runGit(['--git-dir', ctx.gitDir, 'symbolic-ref', '-q', 'HEAD'], ctx);
    const ref = r.stdout.trim();
    return r.code === 0 && ref.startsWith(HEADS) ? ref : undefined;
  }

  /** What to compare `sha` with: the previous commit if known here, else the fork point. */
  private async base(
    ctx: ReturnType<TriggerGit['context']>,
    sha: string,
    previous: string | undefined,
  ): Promise<string | undefined> {
    if (previous) {
      const has = await runGit(
        ['--git-dir', ctx.gitDir, 'cat-file', '-e', `${previous}^{commit}`],
        ctx,
      );
      if (has.code === 0) return previous;
    }
    const mb = await runGit(['--git-dir', ctx.gitDir, 'merge-base', sha, 'HEAD'], ctx);
    const found = mb.stdout.trim();
    return mb.code === 0 && found !== '' ? found : undefined;
  }

  private context(repoURL: string): { gitDir: string; env: NodeJS.ProcessEnv; repoURL: string } {
    const name = mirrorName(normalizeRepoURL(repoURL));
    return {
      gitDir: join(this.dir, 'git', 'mirrors', name),
      env: gitEnv(join(this.dir, 'git', 'home')),
      repoURL: gitTransportURL(parseRepoURL(repoURL)),
    };
  }
}
