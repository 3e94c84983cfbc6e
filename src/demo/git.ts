/**
 * The demo's Git repository: `git` with the demo's identity, and creating it once (later runs
 * keep the user's commits, and get the sample directories added since, in one commit).
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.ts';
import { execFile } from '../util/exec.ts';
import { sampleFiles } from './samples.ts';

export async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execFile(
    'git',
    [
      '-c',
      'user.name=Sluice Demo',
      '-c',
      'user.email=demo@sluice.dev',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: dir },
  );
  if (r.code !== 0)
    throw new SluiceError('GitFailed', `git ${args[0]} in ${dir} failed: ${r.stderr.trim()}`, {
      hint: 'is git installed?',
    });
  return r.stdout.trim();
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** The sample files whose top-level directory the repository does not have (all when new). */
async function missingSamples(dir: string, files: Record<string, string>): Promise<string[]> {
  const missing: string[] = [];
  for (const path of Object.keys(files)) {
    const top = path.split('/')[0] ?? path;
    if (!(await exists(join(dir, top)))) missing.push(path);
  }
  return missing;
}

/** Creates the sample repository, or adds the samples it lacks; returns the commit of main. */
export async function ensureDemoRepo(dir: string): Promise<string> {
  const fresh = !(await exists(join(dir, '.git')));
  if (fresh) {
    await mkdir(dir, { recursive: true });
    await git(dir, 'init', '-q', '-b', 'main');
  }
  const files = sampleFiles();
  const missing = await missingSamples(dir, files);
  if (missing.length > 0) {
    for (const path of missing) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), files[path] ?? '');
      await git(dir, 'add', '--', path);
    }
    const tops = [...new Set(missing.map((p) => p.split('/')[0]))].join(', ');
    await git(
      dir,
      'commit',
      '-q',
      '-m',
      fresh
        ? 'Sample apps: plain YAML, Kustomize, Helm, a real app, a canary, a CI pipeline'
        : `Add ${tops}`,
    );
  }
  return git(dir, 'rev-parse', 'HEAD');
}
