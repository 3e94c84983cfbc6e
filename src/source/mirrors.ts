/**
 * GitMirrors: one bare mirror per repository (keyed by the canonical URL), shared by every
 * Application that uses the repository, so one fetch serves them all.
 *
 * Layout under `dir`:
 *   mirrors/<hash>-<slug>/       bare mirror (heads and tags)
 *   trees/<hash>-<slug>/<sha>/   checked-out trees, one per commit
 *   tmp/                         clones, trees and ssh keys being written; renamed into place
 *   home/                        HOME for git, so no user configuration is read
 *
 * Concurrency: per mirror a readers-writer lock (fetches alone, reads together); concurrent
 * fetches of one mirror are coalesced into one; fetches of all mirrors are bounded by a
 * semaphore. One GitMirrors should own a `dir`; a second process on the same `dir` is tolerated
 * for reads but its fetches are not coordinated with ours.
 */
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { Semaphore } from '../util/semaphore.ts';
import { fetchFailureWithHostKeys } from './classify.ts';
import { prepareAuth, type RepoCredentials } from './credentials.ts';
import { SourceError } from './errors.ts';
import { gitEnv, runGit } from './git.ts';
import { commitsBetween, isAncestor, lastChange, type CommitTime } from './history.ts';
import { RWLock } from './lock.ts';
import {
  existingRefsHint,
  hasCommit,
  isFullSha,
  isRefName,
  resolveLocal,
  type MirrorContext,
  type ResolvedRevision,
} from './revision.ts';
import { extractTree, pruneTreeDir } from './trees.ts';
import {
  gitTransportURL,
  mirrorName,
  normalizeRepoURL,
  parseRepoURL,
  type ParsedRepoURL,
} from './url.ts';

export interface GitMirrorsOptions {
  /** Directory that holds mirrors and trees (created if missing). */
  dir: string;
  /** Time limit of one clone or fetch; default 60 s. */
  fetchTimeoutMs?: number;
  /** Clones and fetches running at once, over all repositories; default 4. */
  maxConcurrentFetches?: number;
}

/** Counters for tests and metrics. */
export interface GitMirrorsStats {
  /** Network operations started: every clone and every fetch. */
  fetches: number;
  /** Mirrors created (each is also counted in `fetches`). */
  clones: number;
  /** Trees checked out. */
  extractions: number;
}

export interface ResolveOptions {
  credentials?: RepoCredentials;
  /** Fetch before resolving (joining a fetch already in flight). */
  refresh?: boolean;
  /** With refresh: skip the fetch if this repository was fetched less than this long ago. */
  maxAgeMs?: number;
}

/** A commit's metadata, for status and history. */
export interface CommitInfo {
  sha: string;
  /** `Name <email>`. */
  author: string;
  /** Author date, ISO 8601 with the author's UTC offset. */
  date: string;
  subject: string;
}

/** The state kept per mirror. */
interface MirrorState {
  gitDir: string;
  treesDir: string;
  lock: RWLock;
  fetching: Promise<void> | undefined;
  trees: Map<string, Promise<string>>;
  /** Revisions resolved since the last fetch: a steady-state resolve spawns no git at all. */
  resolved: Map<string, ResolvedRevision>;
  /** Resolutions in flight, shared by concurrent callers of the same generation. */
  resolving: Map<
    string,
    { generation: number; result: Promise<Awaited<ReturnType<typeof resolveLocal>>> }
  >;
  /** Bumped by every fetch; a resolution is cached only if no fetch ran meanwhile. */
  generation: number;
  /** When the last fetch or clone finished (ms since epoch; 0: never in this process). */
  fetchedAt: number;
}

/** One call's view of a repository: the caller's URL and the shared mirror state. */
interface Target {
  parsed: ParsedRepoURL;
  /** What git is given: no credentials. */
  transportURL: string;
  /** For messages: no credentials. */
  repoURL: string;
  mirror: MirrorState;
}

const STALE_TMP_MS = 60 * 60_000;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export class GitMirrors {
  readonly stats: GitMirrorsStats = { fetches: 0, clones: 0, extractions: 0 };
  private readonly mirrorsDir: string;
  private readonly treesRoot: string;
  private readonly tmpDir: string;
  private readonly home: string;
  private readonly fetchTimeoutMs: number;
  private readonly fetchSlots: Semaphore;
  private readonly states = new Map<string, MirrorState>();
  private ready: Promise<void> | undefined;

  constructor(options: GitMirrorsOptions) {
    const dir = resolvePath(options.dir);
    this.mirrorsDir = join(dir, 'mirrors');
    this.treesRoot = join(dir, 'trees');
    this.tmpDir = join(dir, 'tmp');
    this.home = join(dir, 'home');
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 60_000;
    this.fetchSlots = new Semaphore(options.maxConcurrentFetches ?? 4);
  }

  /**
   * Resolves a branch, tag, full or short SHA, or HEAD (the default) to a commit SHA.
   * With `refresh`, fetches first, or joins the fetch of this repository already in flight.
   * Without, fetches only when the mirror does not exist yet or the revision is not found in it;
   * a full SHA already present never causes a fetch, with or without `refresh`.
   *
   * @example
   * const { sha } = await mirrors.resolve('https://git.example.com/org/deploy.git', 'main', { refresh: true });
   */
  async resolve(
    repoURL: string,
    revision = 'HEAD',
    opts: ResolveOptions = {},
  ): Promise<ResolvedRevision> {
    const t = await this.target(repoURL);
    const rev = revision.trim() === '' ? 'HEAD' : revision.trim();
    if (rev !== 'HEAD' && !isRefName(rev) && !isFullSha(rev)) {
      throw new SourceError('RevisionNotFound', `repo ${t.repoURL}: revision "${rev}" not found`, {
        repoURL: t.repoURL,
        hint: 'it is not a valid branch, tag or commit SHA',
      });
    }
    const ctx = this.context(t);
    const fetched = await this.fetchFirst(t, ctx, rev, opts);
    // The cache only ever holds resolutions made since the last fetch (a fetch clears it), so it
    // serves the callers that joined that fetch too: 100 apps refreshed by one push resolve once.
    const cached = t.mirror.resolved.get(rev);
    if (cached) return cached;
    const generation = t.mirror.generation;
    let found = await this.resolveShared(t, ctx, rev, generation);
    if (found === undefined && !fetched) {
      await this.sync(t, opts.credentials);
      found = await t.mirror.lock.read(() => resolveLocal(ctx, rev));
    }
    if (found === undefined || found === 'ambiguous') throw await this.notFound(t, rev, found);
    if (t.mirror.generation === generation) t.mirror.resolved.set(rev, found);
    return found;
  }

  /**
   * Fetches before resolving when the mirror does not exist yet, or on refresh unless the
   * repository was fetched within `maxAgeMs` or `rev` is a full SHA already here. True if it did.
   */
  private async fetchFirst(
    t: Target,
    ctx: MirrorContext,
    rev: string,
    opts: ResolveOptions,
  ): Promise<boolean> {
    if (!(await exists(t.mirror.gitDir))) {
      await this.sync(t, opts.credentials);
      return true;
    }
    if (opts.refresh !== true) return false;
    const recent = opts.maxAgeMs !== undefined && Date.now() - t.mirror.fetchedAt < opts.maxAgeMs;
    const known =
      recent || (isFullSha(rev) && (await t.mirror.lock.read(() => hasCommit(ctx, rev))));
    if (known) return false;
    await this.sync(t, opts.credentials);
    return true;
  }

  /** Resolves `rev` in the mirror; concurrent callers of one fetch generation share the work. */
  private resolveShared(
    t: Target,
    ctx: MirrorContext,
    rev: string,
    generation: number,
  ): Promise<Awaited<ReturnType<typeof resolveLocal>>> {
    let pending = t.mirror.resolving.get(rev);
    if (!pending || pending.generation !== generation) {
      pending = { generation, result: t.mirror.lock.read(() => resolveLocal(ctx, rev)) };
      t.mirror.resolving.set(rev, pending);
      const settled = pending;
      void settled.result
        .finally(() => {
          if (t.mirror.resolving.get(rev) === settled) t.mirror.resolving.delete(rev);
        })
        .catch(() => undefined);
    }
    return pending.result;
  }

  /**
   * Absolute path of a checkout of the whole tree of commit `sha` (a full SHA, as returned by
   * resolve()). Cached per repository and SHA; concurrent calls share one extraction; the
   * directory appears complete or not at all. Callers must not write into it.
   */
  async tree(repoURL: string, sha: string): Promise<string> {
    const t = await this.target(repoURL);
    const s = this.checkSha(t, sha);
    const pending = t.mirror.trees.get(s);
    if (pending) return pending;
    const target = join(t.mirror.treesDir, s);
    const work = (async (): Promise<string> => {
      if (await exists(target)) return target;
      const ctx = this.context(t);
      await t.mirror.lock.read(async () => {
        if (!(await hasCommit(ctx, s))) throw this.missingCommit(t, s);
        await mkdir(t.mirror.treesDir, { recursive: true });
        this.stats.extractions++;
        await extractTree(ctx, s, this.tmpDir, target);
      });
      return target;
    })().finally(() => t.mirror.trees.delete(s));
    t.mirror.trees.set(s, work);
    return work;
  }

  /** Author (`Name <email>`), author date (ISO 8601) and subject of commit `sha`. */
  async commitInfo(repoURL: string, sha: string): Promise<CommitInfo> {
    const t = await this.target(repoURL);
    const s = this.checkSha(t, sha);
    const ctx = this.context(t);
    const r = await t.mirror.lock.read(() =>
      runGit(
        ['--git-dir', ctx.gitDir, 'log', '-1', '--format=%H%x00%an <%ae>%x00%aI%x00%s', s, '--'],
        ctx,
      ),
    );
    const [full, author, date, subject] = r.stdout.replace(/\n$/, '').split('\0');
    if (r.code !== 0 || full !== s || author === undefined || date === undefined) {
      throw this.missingCommit(t, s);
    }
    return { sha: s, author, date, subject: subject ?? '' };
  }

  /**
   * The commits `sha` brings over `since` (newest first, at most `limit`, with committer times
   * and messages);
   * only `sha` when `since` is undefined or unknown here. RevisionNotFound when `sha` is missing.
   */
  async commits(
    repoURL: string,
    sha: string,
    since: string | undefined,
    limit = 1000,
  ): Promise<CommitTime[]> {
    const t = await this.target(repoURL);
    const s = this.checkSha(t, sha);
    const ctx = this.context(t);
    const from = since !== undefined && isFullSha(since) ? since.toLowerCase() : undefined;
    const list = await t.mirror.lock.read(() => commitsBetween(ctx, s, from, limit));
    if (!list) throw this.missingCommit(t, s);
    return list;
  }

  /**
   * The newest commit reachable from `sha` that changed how often `text` occurs under `path`
   * ('' for the whole tree): the commit that brought a digest. Undefined when none did (or git
   * cannot tell); RevisionNotFound when `sha` is missing. Reads the mirror only, never fetches.
   */
  async lastChange(
    repoURL: string,
    sha: string,
    path: string,
    text: string,
  ): Promise<CommitTime | undefined> {
    const t = await this.target(repoURL);
    const s = this.checkSha(t, sha);
    const ctx = this.context(t);
    const found = await t.mirror.lock.read(() => lastChange(ctx, s, path, text));
    if (found === undefined) throw this.missingCommit(t, s);
    return found ?? undefined;
  }

  /** Is commit `ancestor` an ancestor of commit `sha`? RevisionNotFound when one is missing. */
  async isAncestor(repoURL: string, ancestor: string, sha: string): Promise<boolean> {
    const t = await this.target(repoURL);
    const [a, s] = [this.checkSha(t, ancestor), this.checkSha(t, sha)];
    const ctx = this.context(t);
    const r = await t.mirror.lock.read(() => isAncestor(ctx, a, s));
    if (r === undefined) throw this.missingCommit(t, a);
    return r;
  }

  /**
   * Runs `fn` against the bare mirror of `repoURL` under its read lock (no fetch replaces refs
   * meanwhile), e.g. to check a commit's signature. `ctx.env` is git's sealed environment.
   */
  async readMirror<T>(repoURL: string, fn: (ctx: MirrorContext) => Promise<T>): Promise<T> {
    const t = await this.target(repoURL);
    return t.mirror.lock.read(() => fn(this.context(t)));
  }

  /** Deletes the trees of this repository whose commit is not in `keep`. */
  async pruneTrees(repoURL: string, keep: ReadonlySet<string>): Promise<void> {
    const t = await this.target(repoURL);
    await pruneTreeDir(t.mirror.treesDir, this.tmpDir, keep);
  }

  /** Clones or fetches, joining the one already in flight for this mirror. */
  private sync(t: Target, creds: RepoCredentials | undefined): Promise<void> {
    const m = t.mirror;
    if (m.fetching) return m.fetching;
    const run = this.fetchSlots
      .run(() =>
        m.lock.write(async () =>
          (await exists(m.gitDir)) ? this.fetch(t, creds) : this.clone(t, creds),
        ),
      )
      .finally(() => {
        // Branches and tags may have moved: resolve them again from now on.
        m.generation++;
        m.fetchedAt = Date.now();
        m.resolved.clear();
        if (m.fetching === run) m.fetching = undefined;
      });
    m.fetching = run;
    return run;
  }

  private async clone(t: Target, creds: RepoCredentials | undefined): Promise<void> {
    const tmp = await mkdtemp(join(this.tmpDir, 'clone-'));
    const target = join(tmp, 'mirror');
    const auth = await prepareAuth(t.parsed, creds, { tmpDir: this.tmpDir });
    try {
      this.stats.clones++;
      this.stats.fetches++;
      const env = gitEnv(this.home, auth.config, auth.env);
      const args = ['clone', '--bare', '--quiet', '--', t.transportURL, target];
      const r = await runGit(args, { repoURL: t.repoURL, env, timeoutMs: this.fetchTimeoutMs });
      if (r.code !== 0)
        throw await fetchFailureWithHostKeys(t.repoURL, t.parsed, r, auth, this.fetchTimeoutMs);
      await mkdir(this.mirrorsDir, { recursive: true });
      await rename(target, t.mirror.gitDir);
    } finally {
      await auth.cleanup();
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async fetch(t: Target, creds: RepoCredentials | undefined): Promise<void> {
    const auth = await prepareAuth(t.parsed, creds, { tmpDir: this.tmpDir });
    try {
      this.stats.fetches++;
      const env = gitEnv(this.home, auth.config, auth.env);
      const args = ['--git-dir', t.mirror.gitDir, 'fetch', '--prune', '--quiet'];
      args.push('--no-write-fetch-head', '--', t.transportURL);
      args.push('+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*');
      const r = await runGit(args, { repoURL: t.repoURL, env, timeoutMs: this.fetchTimeoutMs });
      if (r.code !== 0)
        throw await fetchFailureWithHostKeys(t.repoURL, t.parsed, r, auth, this.fetchTimeoutMs);
    } finally {
      await auth.cleanup();
    }
  }

  private async notFound(
    t: Target,
    rev: string,
    why: 'ambiguous' | undefined,
  ): Promise<SourceError> {
    if (why === 'ambiguous') {
      return new SourceError(
        'RevisionNotFound',
        `repo ${t.repoURL}: revision "${rev}" is ambiguous: several commits start with it`,
        { repoURL: t.repoURL, hint: 'give more digits of the SHA, or the full SHA' },
      );
    }
    const ctx = this.context(t);
    const hint = await t.mirror.lock.read(() => existingRefsHint(ctx, rev));
    return new SourceError('RevisionNotFound', `repo ${t.repoURL}: revision "${rev}" not found`, {
      repoURL: t.repoURL,
      hint,
    });
  }

  private missingCommit(t: Target, sha: string): SourceError {
    return new SourceError(
      'RevisionNotFound',
      `repo ${t.repoURL}: commit ${sha} not found in the mirror`,
      { repoURL: t.repoURL, hint: 'resolve() a revision that contains it first (it fetches)' },
    );
  }

  private checkSha(t: Target, sha: string): string {
    if (isFullSha(sha)) return sha.toLowerCase();
    throw new SourceError(
      'RevisionNotFound',
      `repo ${t.repoURL}: "${sha}" is not a full commit SHA`,
      {
        repoURL: t.repoURL,
        hint: 'pass the SHA returned by resolve()',
      },
    );
  }

  private context(t: Target): MirrorContext {
    return { gitDir: t.mirror.gitDir, env: gitEnv(this.home), repoURL: t.repoURL };
  }

  private async target(repoURL: string): Promise<Target> {
    const parsed = parseRepoURL(repoURL);
    await this.setup();
    const key = normalizeRepoURL(repoURL);
    let mirror = this.states.get(key);
    if (!mirror) {
      const name = mirrorName(key);
      mirror = {
        gitDir: join(this.mirrorsDir, name),
        treesDir: join(this.treesRoot, name),
        lock: new RWLock(),
        fetching: undefined,
        trees: new Map(),
        resolved: new Map(),
        resolving: new Map(),
        generation: 0,
        fetchedAt: 0,
      };
      this.states.set(key, mirror);
    }
    const transportURL = gitTransportURL(parsed);
    return { parsed, transportURL, repoURL: transportURL, mirror };
  }

  /** Creates the directories once, and removes temp files a crashed process left behind. */
  private setup(): Promise<void> {
    this.ready ??= (async () => {
      for (const d of [this.mirrorsDir, this.treesRoot, this.tmpDir, this.home]) {
        await mkdir(d, { recursive: true, mode: 0o700 });
      }
      const now = Date.now();
      for (const name of await readdir(this.tmpDir)) {
        const path = join(this.tmpDir, name);
        const st = await stat(path).catch(() => undefined);
        if (st && now - st.mtimeMs > STALE_TMP_MS) await rm(path, { recursive: true, force: true });
      }
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
