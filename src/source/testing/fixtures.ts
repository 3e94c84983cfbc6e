/**
 * Test helpers: throwaway Git repositories built with the real git CLI, in temp directories.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from '../../util/exec.ts';

/** git with a fixed identity and no user or system configuration. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Ada Lovelace',
    GIT_AUTHOR_EMAIL: 'ada@example.com',
    GIT_COMMITTER_NAME: 'Ada Lovelace',
    GIT_COMMITTER_EMAIL: 'ada@example.com',
    GIT_AUTHOR_DATE: '2024-05-01T12:00:00+02:00',
    GIT_COMMITTER_DATE: '2024-05-01T12:00:00+02:00',
  });
  const r = await execFile('git', ['-C', cwd, ...args], { env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A temp directory, removed by the returned function. */
export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A working repository (branch `main`) that tests commit to. */
export class TestRepo {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the repository at `dir`. */
  static async init(dir: string): Promise<TestRepo> {
    await mkdir(dir, { recursive: true });
    await git(dir, 'init', '-q', '-b', 'main');
    return new TestRepo(dir);
  }

  /** file:// URL of the repository. */
  get url(): string {
    return `file://${this.dir}`;
  }

  /** Writes `files` (path -> content), commits them, returns the new SHA. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
    await git(this.dir, 'add', '-A');
    await git(this.dir, 'commit', '-q', '--allow-empty', '-m', message);
    return git(this.dir, 'rev-parse', 'HEAD');
  }

  git(...args: string[]): Promise<string> {
    return git(this.dir, ...args);
  }
}
