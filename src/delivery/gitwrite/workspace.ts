/**
 * A throwaway working copy of one branch: fetched shallow (depth 1: a commit on top of the head
 * is all we push), edited, committed, pushed. git runs sealed as for Git sources (src/source:
 * no user or system configuration, no prompts, credentials in the environment only, never in a
 * URL or an argument), and every message has credentials scrubbed.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyStderr, fetchFailure, gitSays } from '../../source/classify.ts';
import { prepareAuth, type GitAuth, type RepoCredentials } from '../../source/credentials.ts';
import type { SourceError } from '../../source/errors.ts';
import { gitEnv, runGit } from '../../source/git.ts';
import { gitTransportURL, parseRepoURL } from '../../source/url.ts';
import type { ExecResult } from '../../util/exec.ts';
import { GitWriteError } from './errors.ts';
import { pushArgs, readPush, type PushOutcome } from './push.ts';

/** What to do about a refusal when writing (the fetch hints speak of reading and mirrors). */
const WRITE_HINTS: Partial<Record<string, string>> = {
  AuthFailed:
    'check the credentials (a repository Secret, or SLUICE_GIT_* for sluice set-image) and that they may push to this branch',
  HostKeyUnknown:
    "the server's host key is not one of the trusted ones (known_hosts given with the credentials: a repository Secret's known_hosts, the ConfigMap sluice-ssh-known-hosts, or SLUICE_GIT_SSH_KNOWN_HOSTS for sluice set-image); check the key with the server's administrator, then add its line (ssh-keyscan <host>)",
  HostKeyChanged:
    "the server's host key differs from the trusted one in known_hosts; if it changed on purpose (check with the server's administrator), replace its line",
};

export interface Author {
  name: string;
  email: string;
}

export interface WorkspaceOptions {
  repoURL: string;
  credentials?: RepoCredentials;
  author: Author;
  /** Where the temporary clone goes (default: the OS temp directory). */
  workDir?: string;
  /** Time limit of one git command; default 60 s. */
  timeoutMs?: number;
}

export class GitWorkspace {
  /** The working tree: edit files here. */
  readonly dir: string;
  /** The repository, without credentials (for messages). */
  readonly repoURL: string;
  private readonly root: string;
  private readonly auth: GitAuth;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  private constructor(
    root: string,
    repoURL: string,
    auth: GitAuth,
    author: Author,
    timeoutMs: number,
  ) {
    this.root = root;
    this.dir = join(root, 'tree');
    this.repoURL = repoURL;
    this.auth = auth;
    this.timeoutMs = timeoutMs;
    this.env = gitEnv(join(root, 'home'), auth.config, {
      ...auth.env,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    });
  }

  /** An empty repository with `origin` set; close() removes it. */
  static async open(o: WorkspaceOptions): Promise<GitWorkspace> {
    const parsed = parseRepoURL(o.repoURL);
    const transport = gitTransportURL(parsed);
    const parent = o.workDir ?? tmpdir();
    await mkdir(parent, { recursive: true });
    const root = await mkdtemp(join(parent, 'sluice-gitwrite-'));
    try {
      await mkdir(join(root, 'home'), { mode: 0o700 });
      const auth = await prepareAuth(parsed, o.credentials, { tmpDir: root });
      const ws = new GitWorkspace(root, transport, auth, o.author, o.timeoutMs ?? 60_000);
      await ws.must(['init', '--quiet', ws.dir], 'init');
      await ws.must(['-C', ws.dir, 'remote', 'add', 'origin', transport], 'remote add');
      return ws;
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  private git(args: readonly string[], input?: string): Promise<ExecResult> {
    return runGit(args, {
      repoURL: this.repoURL,
      env: this.env,
      timeoutMs: this.timeoutMs,
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** Runs git in the tree; fails with `what` and git's last words. */
  private async must(args: readonly string[], what: string, input?: string): Promise<ExecResult> {
    const r = await this.git(args, input);
    if (r.code !== 0)
      throw new Error(`git ${what} failed: ${gitSays(r.stderr, this.auth.secrets)}`);
    return r;
  }

  /** A network failure (ls-remote, fetch, push) as AuthFailed or RepoUnreachable. */
  networkError(r: ExecResult, branch: string): GitWriteError {
    const src: SourceError = fetchFailure(this.repoURL, r, this.auth, this.timeoutMs);
    const code = src.code === 'AuthFailed' ? 'AuthFailed' : 'RepoUnreachable';
    const message = src.message.replace(/^repo \S+: /, '');
    const hint = WRITE_HINTS[classifyStderr(r.stderr) ?? ''] ?? src.hint;
    return new GitWriteError(code, { repoURL: this.repoURL, branch }, message, {
      ...(hint !== undefined ? { hint } : {}),
      cause: src,
    });
  }

  /** The remote heads of `branches` that exist: branch -> commit SHA. */
  async heads(branches: readonly string[]): Promise<Map<string, string>> {
    const refs = branches.map((b) => `refs/heads/${b}`);
    const r = await this.git(['-C', this.dir, 'ls-remote', '--heads', 'origin', ...refs]);
    if (r.code !== 0) throw this.networkError(r, branches[0] ?? '');
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref?.startsWith('refs/heads/')) out.set(ref.slice('refs/heads/'.length), sha);
    }
    return out;
  }

  /** Makes the tree exactly the head of `branch` (fetched now); returns its SHA. */
  async checkout(branch: string): Promise<string> {
    const fetch = ['-C', this.dir, 'fetch', '--quiet', '--depth', '1', '--no-tags', 'origin'];
    const r = await this.git([...fetch, `refs/heads/${branch}`]);
    if (r.code !== 0) throw this.networkError(r, branch);
    await this.must(
      ['-C', this.dir, 'checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'],
      'checkout',
    );
    await this.must(['-C', this.dir, 'clean', '--quiet', '-fdx'], 'clean');
    return (await this.must(['-C', this.dir, 'rev-parse', 'HEAD'], 'rev-parse')).stdout.trim();
  }

  /** True when the tree differs from its head (new, changed or deleted files). */
  async dirty(): Promise<boolean> {
    const r = await this.must(['-C', this.dir, 'status', '--porcelain'], 'status');
    return r.stdout.trim() !== '';
  }

  /** Paths that differ from the head, as git lists them. */
  async changedFiles(): Promise<string[]> {
    const r = await this.must(['-C', this.dir, 'status', '--porcelain', '-z'], 'status');
    return r.stdout
      .split('\0')
      .filter((l) => l.length > 3)
      .map((l) => l.slice(3));
  }

  /** The unified diff of the tree against its head, new files included. */
  async diff(): Promise<string> {
    await this.must(['-C', this.dir, 'add', '--all'], 'add');
    const args = ['-C', this.dir, 'diff', '--cached', '--no-color', '--no-ext-diff'];
    return (await this.must(args, 'diff')).stdout;
  }

  /** Commits everything in the tree with `message`; returns the new commit's SHA. */
  async commit(message: string): Promise<string> {
    await this.must(['-C', this.dir, 'add', '--all'], 'add');
    await this.must(
      ['-C', this.dir, 'commit', '--quiet', '--no-verify', '--file', '-'],
      'commit',
      message,
    );
    return (await this.must(['-C', this.dir, 'rev-parse', 'HEAD'], 'rev-parse')).stdout.trim();
  }

  /** Pushes HEAD to `branch`, never forced; says what happened as data. */
  async push(
    branch: string,
    options?: Readonly<Record<string, string>>,
  ): Promise<{ outcome: PushOutcome; result: ExecResult }> {
    const result = await this.git(['-C', this.dir, ...pushArgs(branch, options)]);
    const outcome =
      result.code === 0 ? { kind: 'pushed' as const } : readPush(result.stdout, branch);
    return { outcome, result };
  }

  /** git's last words of a failed command, credentials removed. */
  says(r: ExecResult): string {
    return gitSays(r.stderr, this.auth.secrets);
  }

  async close(): Promise<void> {
    await this.auth.cleanup();
    await rm(this.root, { recursive: true, force: true });
  }
}
